package provider

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
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

// graphTracer logs one DEBUG line per Graph call and, when the provider logs
// at TRACE, the call's headers and bodies, every secret masked
// (graph.MaskSecrets; the Authorization header keeps only its scheme).
func graphTracer() graph.Tracer {
	return graph.Tracer{
		Debug:  func(ctx context.Context, msg string, f map[string]any) { tflog.Debug(ctx, msg, f) },
		Trace:  func(ctx context.Context, msg string, f map[string]any) { tflog.Trace(ctx, msg, f) },
		Bodies: traceLevel(),
	}
}

// traceLevel says whether Terraform's log level for this provider is TRACE
// (TF_LOG_PROVIDER, else TF_LOG; JSON is TRACE in JSON). Terraform starts the
// provider with its own environment, so the provider sees what it was given.
func traceLevel() bool {
	lvl := os.Getenv("TF_LOG_PROVIDER")
	if lvl == "" {
		lvl = os.Getenv("TF_LOG")
	}
	return strings.EqualFold(lvl, "trace") || strings.EqualFold(lvl, "json")
}
