// Package apicall makes one HTTP call to a JSON API the way the specs of
// serve and of tartansim serve do: a body of a content type, the API key
// in Tartan's "Token" form when given, extra headers, and the answer
// decoded as a JSON object (nil when it is not one).
package apicall

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Do calls method url with body of contentType, key (when not "") as
// "Authorization: Token key", and header as name, value pairs. It returns
// the status and the decoded answer; err is the transport's.
func Do(contentType, method, url, key, body string, header ...string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "Token "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}
