package box

import "time"

// Our decisions where Tartan's documentation is silent. Each one is a
// constant here, used by the code, and a row of Decisions, which docs/api.md
// repeats: when Tartan's live documentation says otherwise, change it here.
const (
	// DefaultPageSize is employee_list's page_size when none is given.
	DefaultPageSize = 25
	// MaxPageSize is the largest page_size employee_list and connections take.
	MaxPageSize = 100
	// DefaultConnectionsPageSize is vendor/connections' page_size when none
	// is given.
	DefaultConnectionsPageSize = 10
	// TokenLifetime is the access_token's exp, in seconds.
	TokenLifetime = 3600
	// DefaultEmployees is how many employees a new corporate has.
	DefaultEmployees = 105
	// MaxEmployees is the most employees a corporate may have (Employees,
	// Invitation.Employees, corporate_reference_data.employees).
	MaxEmployees = 100_000
	// Connections is how many webhooks the box sends at once, each to a
	// different corporate: a corporate's webhooks go one at a time, in
	// the order they were made, and corporates with something to send take
	// turns.
	Connections = 4
	// DefaultAcceptAfter is how long after an invite the corporate accepts.
	DefaultAcceptAfter = 2 * time.Second
	// Never is the AcceptAfter that accepts only on demand.
	Never time.Duration = -1
	// MaxBody is the largest request body the API reads.
	MaxBody = 1 << 20
	// ControlPrefix is where the mock-only controls live: never under /api/.
	ControlPrefix = "/_tartansim/"
	// Masked is what org_details shows for the application's keys.
	Masked = "************"
	// IntType is vendor/connections' int_type: the simulated corporate
	// syncs from its HRMS, the first of Tartan's integration types (HRMS,
	// Upload CSV, SFTP, Push API, Custom).
	IntType = "HRMS"
)

// statusRejected is the state of a connection whose corporate rejected the
// invite: Tartan documents no event or status for it, so it is ours and
// never in a webhook.
const statusRejected = "CONNECTION_REJECTED"

// Messages the API answers with.
const (
	msgInvalidToken       = "Invalid token."
	msgTerminated         = "Connection terminated successfully"
	msgConnectionNotFound = "Connection not found"
	msgSyncInProgress     = "A sync is in progress for this connection; terminate it once the sync has ended"
	msgEmployeeNotFound   = "Employee not found"
	msgSalaryFetched      = "Salary data points successfully fetched"
)

// publicDomains are email domains that say nothing about the employer: an
// invite from one of them without a remote_org_id is always a new corporate.
var publicDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "yahoo.co.in": true,
	"outlook.com": true, "hotmail.com": true, "live.com": true, "rediffmail.com": true,
	"icloud.com": true, "proton.me": true, "protonmail.com": true,
}

// Decision is one rule of ours where Tartan's documentation is silent.
type Decision struct {
	Topic string
	Rule  string
}

// Decisions lists every rule of ours the mock API follows, in one table.
var Decisions = []Decision{
	{"paths", "every path is served with and without its trailing slash; a POST is never redirected"},
	{"auth", `a missing or wrong API key is 401 {"detail": "Invalid token."} and changes nothing; the key is compared in constant time`},
	{"auth: forms", "every endpoint takes the key in each of the three forms Tartan's pages show (Authorization: <key> on most, Authorization: Token <key> on data_model_flags' guide, username: <key> on employee_details), so a client that follows any page is let in; org_details, whose example carries no key, needs it too"},
	{"bad input", `a missing field, a bad page or an unknown org is 400, 404 or 415 {"message": "...", "field": "<name>"} (field left out when the fault is no field's), in the box's own words; never a 500; nothing changes`},
	{"controls: keys", "a key a control does not take is refused by name; a body of another type than JSON is read only from a request without Origin or Sec-Fetch-Site (curl -d)"},
	{"changes", "each change of a delta is to a different active employee; a delta asking more than there are is refused whole; the weekly churn is cut to fit a small corporate"},
	{"body size", "a request body over 1 MiB is 413"},
	{"pagination", "pageInfo.items counts the records on this page; a page past the end is 200 with data []; totalPages is 0 when there is nothing"},
	{"token: same org", "the same remote_org_id, or without one the same private email domain, is the same org_id; a public domain (gmail.com, ...) without remote_org_id is a new corporate every time"},
	{"token: re-mint", "minting a token again for a live connection fires nothing; for a terminated one it invites again (same org_id)"},
	{"token: jwt", "access_token is an HS256 JWT signed with a secret of the box's own (never the app key or the API key); exp is 3600 seconds"},
	{"token: remote_org_id", "without remote_org_id the connection record, org_details and the invite webhook carry null"},
	{"token: invitedBy", "the invite webhook's invitedBy is the vendor's user who invites (Tartan's example and glossary), never the invited HR"},
	{"data_model_flags", "Tartan's names and defaults; a field flagged 0, given or by default, is left out: of the org's records in webhooks and API alike, or of its salary; an object left with no key is left out; an all-0 dependent_details_fields leaves out dependentDetails; so by Tartan's defaults records carry no employeeMetadata and no dependent dob or email, although Tartan's example record does"},
	{"data_model_flags: names", "a flag is its key's path joined by _ (bankDetails_ifscCode is bankDetails.ifscCode, ctc_deductions_pf is ctc.deductions.pf); the record's id and countryCode have no flag and are always sent; employeeId cannot be 0"},
	{"data_model_flags: monthly", "Tartan's page stops after monthly_gratuity; the rest are the monthly answer's keys named the same way (monthly_otherAllowance, monthly_deductions_tds, monthly_bonus_misc, monthly_grossPay, monthly_Reimbursements, ...), 0 like the documented ones"},
	{"data_model_flags: refusals", "an unknown group or field, a value other than -1, 0 or 1, or employeeId at 0 is a 400 naming data_model_flags.<group>.<field>; groups and fields are checked in sorted order, so the same body always names the same field"},
	{"terminate: body", "client_org in a multipart form, an urlencoded form or JSON; the org UUID or its remote_org_id"},
	{"terminate: unknown", `an unknown or already terminated connection is 400 {"message": "Connection not found"}`},
	{"terminate: by", "terminatedBy is the vendor user's email"},
	{"connections: status", "the status filter pending, approved, rejected is an invited, accepted or rejected corporate, whose application_connection_status is Pending, Active (Tartan's example) or Rejected; terminated connections are left out; page_size defaults to 10"},
	{"connections: data points", "shared_data_points are the flags the org requested (-1 or 1), since the simulated corporate shares all it is asked; not_requested_data_points the ones at 0; not_shared_data_points is empty; salary_details_flag is whether any ctc or monthly flag is requested"},
	{"connections: int_type", "HRMS, the first of Tartan's integration types: the simulated corporate syncs from its HRMS"},
	{"employee_list: params", "org (required), page (from 1), page_size (default 25, max 100), updated_after (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS UTC or RFC 3339), source (db or hrms), filter (field:value, case-insensitive)"},
	{"employee_list: db", "source=db is every record the syncs sent, as sent, whether the consumer acknowledged it or not, or was subscribed to it or not; updated_after compares with when the sync sent it"},
	{"employee_list: hrms", "source=hrms is the simulated HRMS now, ahead of the last sync by the changes not yet synced; updated_after compares with when it changed"},
	{"employee_details: id", "{id} is the record's id, else its employeeId; vendor_org must be your organisation; unknown: 404"},
	{"org_details: keys", "application.app_key and app_secret are always masked"},
	{"org_details: values", "invite_status invited, accepted, rejected or terminated; website_url and logo_url empty; is_client true, is_vendor false, brand_name null; email_domain the invite's private domain, or null; invited_by and created_by the numeric id of the vendor's user who invited"},
	{"salary_details", "type is required (ctc, monthly or ctc_monthly); from_date and to_date are MM-YYYY (to_date is ours), by default the three complete months before now, never past the last complete month, clipped to the employment, at most 36 months; amounts are whole rupees made from the org, the employee and its grade; {employee_id} is the record's id, else its employeeId, of an employee a sync has sent"},
	{"sync callback", "POST /api/external/sync/callback is not served (404): Tartan's page does not say which way it runs nor what it does, and any answer would test the consumer against a guess"},
	{"employee details v2 (external)", "POST /api/external/employee/ is not served (404): it needs the integrator's RSA key and Tartan's public key (a JWE of a signed JWT), which the box has no way to exchange"},
	{"corporate: reject", "a corporate that rejects its invite sends no webhook (Tartan documents none); vendor/connections lists it as rejected, org_details says rejected; accept, sync and terminate refuse it; a new token call invites it again"},
	{"corporate: terminate", "a corporate that ends the connection sends connection.events.terminated with terminatedBy its HR admin and its hrms; refused during a sync, as Terminate connection is"},
	{"corporate: console invite", "an invite from Tartan's console is a corporate the consumer never asked for: connection.events.requested with invitedBy the vendor's user and remote_org_id null, then accepted as any invite"},
	{"client verdict: per org", "a call names a corporate by the query's org, org_details' path or terminate's client_org; the client verdict judges each corporate's calls apart, beside all calls together; token and resend calls count only in the latter"},
	{"resend: fields", "search_type is sync_session, sync_session_counter, timestamp_range, org or request_id, with sync_session_id, webhook_counter, start_time, end_time, org_id, request_id and an optional status failed|success; identical bytes; {\"success\": true, \"count\": n}"},
	{"token: employees", "corporate_reference_data.employees, a whole number from 1 to 100,000, sizes a new corporate; without it, the box's Employees (105 by default); an invite that finds an existing corporate keeps its employees"},
	{"accept", "the corporate accepts 2s after an invite by default (AcceptAfter; Never: on demand only), and the initial sync starts at once"},
	{"schedule", "a delta sync runs for every accepted corporate each Monday at 03:18 UTC by default, after a small churn in its HRMS (one joiner, one promotion, one leaver)"},
	{"eod", "the EOD batch waits for what is queued before it, then re-sends every delivery due by deliverylog.DueAtEOD (tried, never acknowledged, not re-sent by an earlier EOD batch: re-sent once), identical bytes, in numbered batches, daily at 23:59 IST when scheduled, or on demand"},
	{"failures", "fail-next drops or loses the ack of the next N first sends; EOD batches and resends are never failed on purpose"},
	{"delivery order", "a corporate's webhooks go one at a time, in the order they were made; different corporates' go at once, up to 4 (Connections), taking turns"},
	{"timeStamp", "a webhook is stamped when it is built for sending, from the box's clock to the second: never ahead of the clock, never before the org's previous stamp; the webhooks of a session built in one second share a stamp, and webhookCounter orders them"},
}
