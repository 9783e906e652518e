package caddys3

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/caddys3/caddys3/auth"
	// The credential sources shipped with the handler, so that every build
	// that has http.handlers.s3 has them too.
	_ "github.com/caddys3/caddys3/caddys3/credentials/cloudstack"
	_ "github.com/caddys3/caddys3/caddys3/credentials/static"
)

// credentialsNamespace is where credential source modules live; their
// names are the keys of Handler.CredentialsRaw.
const credentialsNamespace = "s3.credentials"

// loadCredentials loads (and so provisions) the credential source modules
// and chains them: "static" first, so operator keys keep working whatever
// the other sources say, then the others in the order of their names.
func (h *Handler) loadCredentials(ctx caddy.Context) (auth.Provider, error) {
	if len(h.CredentialsRaw) == 0 {
		return auth.Chain{}, nil
	}
	mods, err := ctx.LoadModule(h, "CredentialsRaw")
	if err != nil {
		return nil, fmt.Errorf("s3: credentials: %w", err)
	}
	byName := mods.(map[string]any)
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == "static") != (b == "static") {
			if a == "static" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	h.sources = names // for the provision log line (provisionlog.go)
	chain := make(auth.Chain, 0, len(names))
	for _, name := range names {
		p, ok := byName[name].(auth.Provider)
		if !ok {
			return nil, fmt.Errorf("s3: credentials %s: module %T is not a credential provider", name, byName[name])
		}
		chain = append(chain, p)
		if pg, ok := p.(pinger); ok { // health.go
			h.pingers = append(h.pingers, pg)
		}
	}
	if len(chain) == 1 {
		return chain[0], nil
	}
	return chain, nil
}
