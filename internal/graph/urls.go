package graph

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// IsLoopback reports whether a host is a literal loopback address
// (127.0.0.0/8, ::1) or localhost, which is resolved and accepted only when
// every address it resolves to is a loopback one. Anything else — a name
// that merely starts with "127.", a private address — is not loopback.
func IsLoopback(host string) bool {
	h := strings.Trim(strings.ToLower(host), "[]")
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback()
	}
	if h != "localhost" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, h)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// CheckEmulatorURL checks the root URL of a local Graph (an emulator), which
// receives the provider's token: http or https, a loopback host (see
// IsLoopback), no user name or password, no query, no fragment, and no path
// beyond "/". The error never repeats a password.
func CheckEmulatorURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("it is empty: leave it out to use the cloud's Graph, or set the root of a local emulator such as http://127.0.0.1:8787")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("it is not a URL")
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s is not an http or https URL", shown)
	case u.User != nil:
		return nil, fmt.Errorf("%s carries a user name or password, which would be sent and logged: leave them out", shown)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%s has a query or a fragment: give the root only, such as http://127.0.0.1:8787", shown)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("%s has a path: give the root only (the provider adds /v1.0)", shown)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%s has no host", shown)
	case !IsLoopback(u.Hostname()):
		return nil, fmt.Errorf("%s is not a loopback address: only a local emulator on 127.0.0.1, ::1 or localhost may receive the provider's token", shown)
	}
	return u, nil
}
