package provider

import (
	"context"
	"regexp"
	"sync"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// jwtPattern matches anything shaped like a JWT (access tokens, client and
// federated assertions): header.payload.signature in base64url.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

var azureLogs sync.Once

// routeAzureLogs sends azidentity's and azcore's log events (token requests,
// retries, which credential was used) into the provider's log at debug
// level, so that TF_LOG shows them. azcore already redacts headers and query
// strings; anything shaped like a token is masked here as well, in case an
// event ever quotes one. kiota has no logger of its own (it traces with
// OpenTelemetry, which the provider does not export).
func routeAzureLogs(ctx context.Context) {
	azureLogs.Do(func() {
		// The listener outlives this Configure call; it keeps the logger that
		// the SDK put in this context, which writes to the plugin's stderr.
		logCtx := tflog.NewSubsystem(ctx, "azidentity")
		logCtx = tflog.SubsystemMaskMessageRegexes(logCtx, "azidentity", jwtPattern)
		logCtx = tflog.SubsystemMaskAllFieldValuesRegexes(logCtx, "azidentity", jwtPattern)
		azlog.SetListener(func(ev azlog.Event, msg string) {
			tflog.SubsystemDebug(logCtx, "azidentity", msg, map[string]any{"event": string(ev)})
		})
	})
}
