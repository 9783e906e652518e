package cloudstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/caddys3/caddys3/internal/testserver"
)

const (
	opKey    = "OPERATORKEY000000001"
	opSecret = "operator-secret-0000000000000000000000000"
)

// caddyfile has two sites: one reads the 4.23 database through an explicit
// dsn and database_key (placeholders from the environment), the other the
// 4.22 database through db.properties and the key file.
const caddyfileTemplate = `{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https off
	servers {
		protocols h1
	}
}

http://127.0.0.1:{{PORT}} {
	s3 {
		root {{ROOT}}/a
		credentials static {
			key ` + opKey + ` ` + opSecret + ` operator
		}
		credentials cloudstack {
			dsn "cloud:{env.CS_DB_PASSWORD}@tcp(127.0.0.1:{{DBPORT}})/cloud"
			database_key {env.CS_DATABASE_KEY}
			cache_ttl 1s
			negative_cache_ttl 500ms
			grace_period 5m
		}
	}
}

http://127.0.0.1:{{PORT2}} {
	s3 {
		root {{ROOT}}/b
		credentials cloudstack {
			db_properties {{PROPS}}
			key_file {{KEYFILE}}
			cache_ttl 1s
		}
	}
}
`

var cad struct {
	mu  sync.Mutex
	srv *testserver.Server // the running server, for TestMain's watchdog
	bin string
}

// buildCaddy builds cmd/caddy once (with -race when the tests run with
// it), or takes $CADDYS3_BIN.
func buildCaddy(t *testing.T) string {
	t.Helper()
	if cad.bin == "" {
		bin, err := testserver.Build(maria.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		cad.bin = bin
	}
	return cad.bin
}

// caddyConfig is the server's config in maria.dir: the Caddyfile for the
// two ports with dbKeyEnv as the database_key, and the database password
// and key in the environment.
func caddyConfig(t *testing.T, port, port2 int, dbKeyEnv string) testserver.Config {
	t.Helper()
	props, keyFile, err := writeDBProperties(maria.dir)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(maria.dir, "root")
	for _, d := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	return testserver.Config{
		Bin: buildCaddy(t),
		Dir: maria.dir,
		Caddyfile: strings.NewReplacer("{{PORT}}", fmt.Sprint(port), "{{PORT2}}", fmt.Sprint(port2), "{{DBPORT}}", fmt.Sprint(maria.port),
			"{{ROOT}}", root, "{{PROPS}}", props, "{{KEYFILE}}", keyFile, "{env.CS_DATABASE_KEY}", dbKeyEnv).Replace(caddyfileTemplate),
		Env:  map[string]string{"CS_DB_PASSWORD": dbPassword, "CS_DATABASE_KEY": databaseKey},
		Wait: []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port2)},
	}
}

// startCaddy runs the server and waits for both ports (at most 90 s).
func startCaddy(t *testing.T) (base, base2 string) {
	t.Helper()
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := caddyConfig(t, ports[0], ports[1], "{env.CS_DATABASE_KEY}")
	s := testserver.Start(t, cfg)
	cad.mu.Lock()
	cad.srv = s
	cad.mu.Unlock()
	return s.URL(), "http://" + cfg.Wait[1]
}

// stopCaddy stops the running server, if any.
func stopCaddy() {
	cad.mu.Lock()
	s := cad.srv
	cad.mu.Unlock()
	if s != nil {
		s.Stop()
	}
}

var httpClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}}

func client(base, key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(base),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:   httpClient,
		// One attempt: a 503 must reach the test, not be retried away.
		RetryMaxAttempts: 1,
	})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// apiError returns the HTTP status and S3 code of err (0, "" for nil).
func apiError(err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	status := -1
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return status, ae.ErrorCode()
	}
	return status, err.Error()
}

func wantErr(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	s, c := apiError(err)
	if s != status || c != code {
		t.Errorf("%s: got %d %s (%v), want %d %s", what, s, c, err, status, code)
	}
}

func listBuckets(t *testing.T, cl *s3.Client) ([]string, string, error) {
	t.Helper()
	out, err := cl.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	if err != nil {
		return nil, "", err
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	owner := ""
	if out.Owner != nil {
		owner = aws.ToString(out.Owner.ID)
	}
	return names, owner, nil
}

func roundTrip(t *testing.T, cl *s3.Client, bucket, key, body string) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != body {
		t.Fatalf("GetObject %s/%s = %q", bucket, key, got)
	}
}

func createBucket(t *testing.T, cl *s3.Client, name string) {
	t.Helper()
	if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

// eventually polls f until it returns nil or the time is up.
func eventually(t *testing.T, within time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := f()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCaddyCloudStack drives the real server with aws-sdk-go-v2 and
// CloudStack keys: two accounts, refused keys, a user disabled while the
// server runs, and MariaDB stopped and started again.
func TestCaddyCloudStack(t *testing.T) {
	base, base2 := startCaddy(t)
	alice, carol, bob, dave := k("cloud", "alice"), k("cloud", "carol"), k("cloud", "bob"), k("cloud", "dave")
	cl := func(c csKey) *s3.Client { return client(base, c.key, c.secret) }

	t.Run("two accounts sign with their CloudStack keys", func(t *testing.T) {
		createBucket(t, cl(alice), "acme-data")
		roundTrip(t, cl(alice), "acme-data", "hello.txt", "from alice (V2 secret)")
		createBucket(t, cl(bob), "globex-data")
		roundTrip(t, cl(bob), "globex-data", "dir/x.bin", "from bob (V1 secret)")

		names, owner, err := listBuckets(t, cl(alice))
		if err != nil || owner != alice.owner || strings.Join(names, ",") != "acme-data" {
			t.Errorf("alice ListBuckets: %v owner %q (want account UUID %q) %v", names, owner, alice.owner, err)
		}
		// carol is in alice's account: same owner, same buckets.
		names, owner, err = listBuckets(t, cl(carol))
		if err != nil || owner != alice.owner || strings.Join(names, ",") != "acme-data" {
			t.Errorf("carol ListBuckets: %v owner %q %v", names, owner, err)
		}
		names, owner, err = listBuckets(t, cl(bob))
		if err != nil || owner != bob.owner || strings.Join(names, ",") != "globex-data" {
			t.Errorf("bob ListBuckets: %v owner %q (want %q) %v", names, owner, bob.owner, err)
		}
		// The static operator key is checked first and keeps its owner.
		if _, owner, err := listBuckets(t, client(base, opKey, opSecret)); err != nil || owner != "operator" {
			t.Errorf("operator: %q %v", owner, err)
		}
		// A wrong secret for a CloudStack key.
		_, _, err = listBuckets(t, client(base, alice.key, bob.secret))
		wantErr(t, "alice's key with bob's secret", err, 403, "SignatureDoesNotMatch")
	})

	t.Run("db.properties site, 4.22 layout", func(t *testing.T) {
		erin := k("cloud422", "erin")
		c := client(base2, erin.key, erin.secret)
		createBucket(t, c, "initech-data")
		roundTrip(t, c, "initech-data", "tps-report", "from erin (4.22, V1, db.properties)")
		if _, owner, err := listBuckets(t, c); err != nil || owner != erin.owner {
			t.Errorf("erin: owner %q %v", owner, err)
		}
		for _, name := range []string{"legacy-disabled", "legacy-access-off", "legacy-removed", "legacy-account-removed", "legacy-domain-off"} {
			x := k("cloud422", name)
			_, _, err := listBuckets(t, client(base2, x.key, x.secret))
			wantErr(t, name, err, 403, "InvalidAccessKeyId")
		}
		// The 4.23 keys are unknown there.
		_, _, err := listBuckets(t, client(base2, alice.key, alice.secret))
		wantErr(t, "alice on the 4.22 site", err, 403, "InvalidAccessKeyId")
	})

	t.Run("refused keys", func(t *testing.T) {
		for _, name := range keyOrder {
			x := keys[name]
			if x.db != "cloud" || x.want == wantOK {
				continue
			}
			c := cl(x)
			if x.name == "rules-list-only" {
				// A key pair whose rules allow listing but no writes is
				// read-only through S3: it lists, and every write is denied.
				if _, _, err := listBuckets(t, c); err != nil {
					t.Errorf("%s: read-only pair cannot list: %v", name, err)
				}
				_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("acme-data"), Key: aws.String("nope"), Body: strings.NewReader("x")})
				wantErr(t, name+" PutObject", err, 403, "AccessDenied")
				_, err = c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("readonly-new")})
				wantErr(t, name+" CreateBucket", err, 403, "AccessDenied")
				continue
			}
			_, _, err := listBuckets(t, c)
			switch x.want {
			case wantInvalid:
				wantErr(t, name, err, 403, "InvalidAccessKeyId")
			case wantDenied:
				wantErr(t, name, err, 403, "AccessDenied")
				_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("acme-data"), Key: aws.String("nope"), Body: strings.NewReader("x")})
				wantErr(t, name+" PutObject", err, 403, "AccessDenied")
			case wantUnavailable:
				wantErr(t, name, err, 503, "ServiceUnavailable")
			}
		}
		for _, name := range []string{"pair-in-dates", "rules-allow-all", "rules-buckets", "user-access-on-overrides-domain"} {
			if _, _, err := listBuckets(t, cl(k("cloud", name))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})

	t.Run("a user disabled in CloudStack stops within the TTL", func(t *testing.T) {
		if _, _, err := listBuckets(t, cl(carol)); err != nil {
			t.Fatal(err)
		}
		execSQL(t, "UPDATE cloud.user SET state = 'disabled' WHERE username = 'carol'")
		took := eventually(t, 8*time.Second, "carol refused", func() error {
			_, _, err := listBuckets(t, cl(carol))
			if s, c := apiError(err); s == 403 && c == "InvalidAccessKeyId" {
				return nil
			}
			return fmt.Errorf("still %v", err)
		})
		if took > 4*time.Second {
			t.Errorf("disabling took %v with cache_ttl 1s", took)
		}
		execSQL(t, "UPDATE cloud.user SET state = 'enabled' WHERE username = 'carol'")
		eventually(t, 5*time.Second, "carol back", func() error { _, _, err := listBuckets(t, cl(carol)); return err })
		// An account disabled in CloudStack: every user of it stops.
		execSQL(t, "UPDATE cloud.account SET state = 'disabled' WHERE account_name = 'globex'")
		eventually(t, 5*time.Second, "bob refused with his account disabled", func() error {
			_, _, err := listBuckets(t, cl(bob))
			if s, c := apiError(err); s == 403 && c == "InvalidAccessKeyId" {
				return nil
			}
			return fmt.Errorf("still %v", err)
		})
		execSQL(t, "UPDATE cloud.account SET state = 'enabled' WHERE account_name = 'globex'")
		eventually(t, 5*time.Second, "bob back", func() error { _, _, err := listBuckets(t, cl(bob)); return err })
	})

	t.Run("database stopped and started", func(t *testing.T) {
		for _, c := range []csKey{alice, bob} {
			if _, _, err := listBuckets(t, cl(c)); err != nil {
				t.Fatal(err)
			}
		}
		wantReady(t, []string{base, base2}, http.StatusOK) // health_test.go
		stopMaria()
		wantReady(t, []string{base, base2}, http.StatusServiceUnavailable)
		restarted := false
		defer func() {
			if !restarted {
				restartMaria(t)
			}
		}()
		// Past the 1s TTL several times: the server must keep answering
		// from the grace period.
		for i := range 3 {
			time.Sleep(700 * time.Millisecond)
			roundTrip(t, cl(alice), "acme-data", fmt.Sprintf("while-down-%d", i), "db is down")
			if _, _, err := listBuckets(t, cl(bob)); err != nil {
				t.Fatalf("bob while the database is down: %v", err)
			}
		}
		// dave was never seen: retryable 503, not InvalidAccessKeyId.
		_, _, err := listBuckets(t, cl(dave))
		wantErr(t, "dave (unseen) while the database is down", err, 503, "ServiceUnavailable")
		// Static keys do not need the database.
		if _, _, err := listBuckets(t, client(base, opKey, opSecret)); err != nil {
			t.Errorf("operator while the database is down: %v", err)
		}

		restartMaria(t)
		restarted = true
		wantReady(t, []string{base, base2}, http.StatusOK)
		eventually(t, 20*time.Second, "dave after the restart", func() error { _, _, err := listBuckets(t, cl(dave)); return err })
		roundTrip(t, cl(alice), "acme-data", "after-restart", "db is back")
		createBucket(t, cl(dave), "globex-dave")
		// A change made after the restart is seen again.
		execSQL(t, "UPDATE cloud.user SET state = 'locked' WHERE username = 'dave'")
		defer execSQL(t, "UPDATE cloud.user SET state = 'enabled' WHERE username = 'dave'")
		eventually(t, 5*time.Second, "dave locked", func() error {
			_, _, err := listBuckets(t, cl(dave))
			if s, c := apiError(err); s == 403 && c == "InvalidAccessKeyId" {
				return nil
			}
			return fmt.Errorf("still %v", err)
		})
	})

	if logs := cad.srv.Logs(); strings.Contains(logs, alice.secret) || strings.Contains(logs, dbPassword) {
		t.Error("the server log contains a secret")
	}
}

// TestCaddyWrongDatabaseKey: `caddy validate` (which provisions the module)
// fails with a clear message when the database key is wrong, and passes
// with the right one.
func TestCaddyWrongDatabaseKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		ok   bool
		want string
	}{
		{"{env.CS_DATABASE_KEY}", true, "Valid configuration"},
		{"not-the-key", false, "wrong database key"},
	} {
		cfg := caddyConfig(t, 1, 2, tc.key)
		cfg.Dir = filepath.Join(maria.dir, "validate")
		s, err := testserver.Prepare(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := s.Command(ctx, "validate", "--config", s.ConfigPath, "--adapter", "caddyfile").CombinedOutput()
		cancel()
		if (err == nil) != tc.ok || !strings.Contains(string(out), tc.want) {
			t.Errorf("validate with database_key %s: err %v, want ok=%v and %q in:\n%s", tc.key, err, tc.ok, tc.want, out)
		}
	}
}
