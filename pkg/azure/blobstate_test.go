package azure

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestParseBlobURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    BlobLocation
		wantErr string
	}{
		{raw: "https://acct.blob.core.windows.net/galshare/team/prod.state.json",
			want: BlobLocation{ServiceURL: "https://acct.blob.core.windows.net", Account: "acct", Container: "galshare", Blob: "team/prod.state.json"}},
		{raw: "http://127.0.0.1:10000/devstoreaccount1/galshare/dev.state.json",
			want: BlobLocation{ServiceURL: "http://127.0.0.1:10000/devstoreaccount1", Account: "devstoreaccount1", Container: "galshare", Blob: "dev.state.json"}},
		{raw: "https://acct.blob.core.windows.net/galshare/prod.state.json?sv=1&sig=secretsig", wantErr: "environment"},
		{raw: "http://10.0.0.1:10000/acct/galshare/prod.state.json", wantErr: "loopback"},
		{raw: "https://acct.queue.core.windows.net/galshare/prod.state.json", wantErr: "Blob endpoint"},
		{raw: "https://acct.blob.core.windows.net/galshare", wantErr: "container and a blob"},
		{raw: "http://127.0.0.1:10000/galshare/prod.state.json", wantErr: "path-style"},
		{raw: "ftp://acct/galshare/x", wantErr: "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseBlobURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secretsig") {
					t.Fatalf("the SAS reached the error: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBlobURL = %+v, %v; want %+v", got, err, tt.want)
			}
			if got.URL() != tt.raw {
				t.Errorf("URL() = %q, want %q", got.URL(), tt.raw)
			}
		})
	}
}

func TestNewBlobStateAuth(t *testing.T) {
	const u = "http://127.0.0.1:1/acct/c/s.json"
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	tests := []struct {
		name    string
		lookup  func(string) (string, bool)
		wantErr string
	}{
		{"no way to sign in", env(), "no way to authorise"},
		{"account key", env(EnvStorageConnectionString, "AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/acct"), ""},
		{"other account", env(EnvStorageConnectionString, "AccountName=other;AccountKey=a2V5"), `names storage account "other"`},
		{"connection string without key", env(EnvStorageConnectionString, "AccountName=acct"), "neither AccountKey"},
		{"sas", env(EnvStateSAS, "?sv=2022&sig=abc"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBlobState(BlobStateOptions{URL: u, LookupEnv: tt.lookup})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "a2V5") {
				t.Fatalf("the key reached the error: %v", err)
			}
		})
	}
}

// TestBlobStateErrorsHideTheSAS points a SAS-authorised client at a closed
// loopback port: the transport error names the URL, never the SAS.
func TestBlobStateErrorsHideTheSAS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const sig = "sv=2022-11-02&sig=c2VjcmV0c2lnbmF0dXJl"
	b, err := NewBlobState(BlobStateOptions{URL: "http://" + addr + "/acct/c/s.json",
		LookupEnv: func(k string) (string, bool) { return sig, k == EnvStateSAS },
		Client:    azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for name, call := range map[string]func() error{
		"get":   func() error { _, _, err := b.Get(ctx, ""); return err },
		"put":   func() error { _, err := b.Put(ctx, []byte("{}"), ""); return err },
		"lease": func() error { return b.AcquireLease(ctx, "id", 60, nil) },
		"lock":  func() error { _, _, err := b.LockStatus(ctx); return err },
	} {
		err := call()
		if err == nil {
			t.Fatalf("%s against a closed port succeeded", name)
		}
		if strings.Contains(err.Error(), "c2VjcmV0c2lnbmF0dXJl") {
			t.Errorf("%s: the SAS reached the error: %v", name, err)
		}
	}
}

// TestChunksAreContentDefined: chunks rejoin to the input, stay within
// their bounds, and a record changed in the middle changes only the chunks
// around it.
func TestChunksAreContentDefined(t *testing.T) {
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, `{"address":"sp[c%05d]","type":"servicePrincipal","id":"%08x-0000"},`, i, i*2654435761)
	}
	data := []byte(b.String())
	before := chunks(data)
	if got := bytes.Join(before, nil); !bytes.Equal(got, data) {
		t.Fatal("chunks do not rejoin to the input")
	}
	for i, c := range before[:len(before)-1] {
		if len(c) < chunkMin || len(c) > chunkMax {
			t.Fatalf("chunk %d has %d bytes, outside [%d, %d]", i, len(c), chunkMin, chunkMax)
		}
	}
	changed := bytes.Replace(data, []byte(`"sp[c10000]","type":"servicePrincipal","id":"`), []byte(`"sp[c10000]","type":"servicePrincipal","id":"X`), 1)
	ids := map[string]bool{}
	for _, c := range before {
		ids[blockID(c)] = true
	}
	fresh := 0
	for _, c := range chunks(changed) {
		if !ids[blockID(c)] {
			fresh += len(c)
		}
	}
	if len(before) < 20 || fresh > 3*chunkMax || fresh*10 > len(data) {
		t.Fatalf("%d chunks; one changed record needs %d of %d bytes staged again", len(before), fresh, len(data))
	}
	if testing.Verbose() {
		t.Logf("%d chunks; one changed record restages %d of %d bytes", len(before), fresh, len(data))
	}
}
