package azure

import (
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Environment variables that authorise the state blob instead of an Entra
// token. Neither is ever read from the manifest.
const (
	// EnvStorageConnectionString is the variable the Azure CLI and SDKs
	// use: AccountName and AccountKey (or SharedAccessSignature).
	EnvStorageConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	// EnvStateSAS holds a SAS token for the state's container (the query
	// string, with or without its leading '?').
	EnvStateSAS = "GALSHARE_STATE_SAS"
)

// BlobStateOptions say where the state blob is and how to authorise.
type BlobStateOptions struct {
	// URL is the state blob (ParseBlobURL).
	URL string
	// LookupEnv reads EnvStorageConnectionString and EnvStateSAS (nil:
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Credential is the Entra credential used when neither variable is
	// set: the publisher tenant's operator (Connector.StorageCredential),
	// scope https://storage.azure.com/.default. Nil then is an error that
	// says what to set.
	Credential azcore.TokenCredential
	// Client tunes the SDK pipeline (transport, telemetry); retries are
	// set by galshare unless it sets MaxRetries.
	Client azcore.ClientOptions
	// BlockWriteOver is the state size from which a write stages only
	// changed blocks and commits a block list instead of uploading the
	// whole state (0: 256 KiB; tests set 1 to use block lists always).
	BlockWriteOver int
}

// NewBlobState builds the clients of the state blob at opts.URL. It makes
// no call. Authorisation, first match wins: EnvStorageConnectionString
// (its account must be the URL's), EnvStateSAS, then opts.Credential.
func NewBlobState(opts BlobStateOptions) (*BlobState, error) {
	loc, err := ParseBlobURL(opts.URL)
	if err != nil {
		return nil, err
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	copts := blobClientOptions(opts.Client)
	contURL := loc.ServiceURL + "/" + loc.Container
	var cont *container.Client
	var sasUsed string
	switch cs, sas := envValue(lookup, EnvStorageConnectionString), envValue(lookup, EnvStateSAS); {
	case cs != "":
		kv := parseConnectionString(cs)
		switch {
		case kv["accountname"] != "" && !strings.EqualFold(kv["accountname"], loc.Account):
			return nil, fmt.Errorf("%s names storage account %q but the state URL is in account %q", EnvStorageConnectionString, kv["accountname"], loc.Account)
		case kv["accountkey"] != "":
			cred, err := container.NewSharedKeyCredential(loc.Account, kv["accountkey"])
			if err != nil {
				return nil, fmt.Errorf("%s: the account key is not valid base64", EnvStorageConnectionString)
			}
			cont, err = container.NewClientWithSharedKeyCredential(contURL, cred, copts)
			if err != nil {
				return nil, fmt.Errorf("state blob client: %w", err)
			}
		case kv["sharedaccesssignature"] != "":
			sasUsed = strings.TrimPrefix(kv["sharedaccesssignature"], "?")
			cont, err = container.NewClientWithNoCredential(contURL+"?"+strings.TrimPrefix(kv["sharedaccesssignature"], "?"), copts)
			if err != nil {
				return nil, fmt.Errorf("state blob client: %w", err)
			}
		default:
			return nil, fmt.Errorf("%s has neither AccountKey nor SharedAccessSignature", EnvStorageConnectionString)
		}
	case sas != "":
		sasUsed = strings.TrimPrefix(sas, "?")
		cont, err = container.NewClientWithNoCredential(contURL+"?"+strings.TrimPrefix(sas, "?"), copts)
		if err != nil {
			return nil, fmt.Errorf("state blob client: %w", err)
		}
	case opts.Credential != nil:
		cont, err = container.NewClient(contURL, opts.Credential, copts)
		if err != nil {
			return nil, fmt.Errorf("state blob client: %w", err)
		}
	default:
		return nil, fmt.Errorf("state %s: no way to authorise: sign in as the publisher tenant's operator (credentials file or environment), or set %s or %s", loc.URL(), EnvStorageConnectionString, EnvStateSAS)
	}
	over := opts.BlockWriteOver
	if over <= 0 {
		over = defaultBlockWriteOver
	}
	return &BlobState{
		blockOver: over,
		loc:       loc,
		cont:      cont,
		state:     cont.NewBlockBlobClient(loc.Blob),
		lock:      cont.NewBlockBlobClient(loc.Blob + ".lock"),
		sas:       sasUsed,
	}, nil
}

// StorageCredential is the Entra credential of tenant's operator, for the
// state blob (the SDK asks it for https://storage.azure.com/.default).
func (c *Connector) StorageCredential(tenant string) (azcore.TokenCredential, error) {
	return c.credential(tenant)
}

func envValue(lookup func(string) (string, bool), k string) string {
	if v, ok := lookup(k); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// parseConnectionString splits "K=V;K=V" into lower-cased keys (values may
// contain '=', as base64 keys do).
func parseConnectionString(cs string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(cs, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return out
}
