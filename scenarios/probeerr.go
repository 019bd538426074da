package scenarios

import (
	"errors"
	"net/url"

	"github.com/tartansim/tartansim/sender"
)

// probeError returns err, from a probe request, without what the probe URL
// carries of secrets: net/http's *url.Error quotes the URL with its query
// (often a token). It stays a *url.Error, its URL redacted by
// sender.RedactURL (password and every query value hidden).
func probeError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: sender.RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}
