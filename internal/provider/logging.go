package provider

import (
	"context"
	"regexp"
	"sync"
	"sync/atomic"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// jwtPattern matches anything shaped like a JWT (access tokens, client and
// federated assertions): header.payload.signature in base64url.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

var (
	azureLogs sync.Once
	// azureLogCtx is the context of the latest Configure: its logger is the
	// one Terraform reads (a provider process may be configured more than
	// once, and tests run many providers in one process).
	azureLogCtx atomic.Pointer[context.Context]
)

// routeAzureLogs sends azidentity's and azcore's log events (token requests,
// retries, which credential was used) into the provider's log at debug
// level, so that TF_LOG shows them. azcore already redacts headers and query
// strings; anything shaped like a token is masked here as well, in case an
// event ever quotes one. kiota has no logger of its own (it traces with
// OpenTelemetry, which the provider does not export).
func routeAzureLogs(ctx context.Context) {
	// The listener outlives this Configure call; it keeps the logger that
	// the SDK put in this context, which writes where Terraform reads.
	logCtx := tflog.NewSubsystem(ctx, "azidentity")
	logCtx = tflog.SubsystemMaskMessageRegexes(logCtx, "azidentity", jwtPattern)
	logCtx = tflog.SubsystemMaskAllFieldValuesRegexes(logCtx, "azidentity", jwtPattern)
	azureLogCtx.Store(&logCtx)
	azureLogs.Do(func() {
		azlog.SetListener(func(ev azlog.Event, msg string) {
			if c := azureLogCtx.Load(); c != nil {
				tflog.SubsystemDebug(*c, "azidentity", msg, map[string]any{"event": string(ev)})
			}
		})
	})
}

// logGraph writes the Graph client's notes (recovery after a lost answer,
// waiting out replication lag) to the provider's log.
func logGraph(ctx context.Context, msg string, fields map[string]any) {
	tflog.Info(ctx, msg, fields)
}
