package circl

import "net/http"

// RedirectError is a redirect the client refuses to follow.
type RedirectError struct{ Msg string }

func (e *RedirectError) Error() string { return e.Msg }

// CheckRedirect is the redirect policy for the HTTP client: at most 5
// redirects, never from HTTPS down to plain HTTP, and the credentials
// (the Authorization header) only to the same host.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) >= 5:
		return &RedirectError{Msg: "more than 5 redirects"}
	case first.Scheme == "https" && req.URL.Scheme != "https":
		return &RedirectError{Msg: "redirected from HTTPS to plain HTTP (" + req.URL.Redacted() + "): refused"}
	case req.URL.Host != first.Host:
		req.Header.Del("Authorization")
	}
	return nil
}
