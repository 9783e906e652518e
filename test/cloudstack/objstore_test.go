package cloudstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/secure-io/sio-go"
	"golang.org/x/crypto/argon2"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/cloudstack"
	"github.com/caddys3/caddys3/internal/testserver"
)

// The accounts behind CloudStack's MinIO users ("acs-<account-uuid>"),
// read from a real MariaDB: cloud.account and cloud.account_details as
// CloudStack 4.19+ writes them.
func TestMinioAccounts(t *testing.T) {
	const db = "cloudobj"
	execSQL(t, "DROP DATABASE IF EXISTS "+db)
	execSQL(t, "CREATE DATABASE "+db+" CHARACTER SET utf8mb4")
	execSQL(t, "GRANT SELECT ON "+db+".* TO 'cloud'@'127.0.0.1'")
	execSQL(t, "CREATE TABLE "+db+".account (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), account_name varchar(100), type int unsigned NOT NULL DEFAULT 0, domain_id bigint unsigned NOT NULL, state varchar(10) NOT NULL DEFAULT 'enabled', created datetime, removed datetime)")
	p := cloudstack.New(openDB(t, db), cloudstack.Options{}).MinioAccounts()
	ctx := t.Context()
	live := newUUID()
	key := "acs-" + live

	// Without account_details (not CloudStack's schema): an outage, which
	// the caller rides out on its own files.
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state) VALUES (1, ?, 'tenant', 1, 'enabled')", live)
	if _, err := p.Lookup(ctx, key); !errors.Is(err, auth.ErrCredentialsUnavailable) || !cloudstack.IsOutage(err) {
		t.Fatalf("no account_details: %v", err)
	}
	execSQL(t, "CREATE TABLE "+db+".account_details (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, account_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(4096) NOT NULL)")

	noDetails, disabled, removed, stale := newUUID(), newUUID(), newUUID(), newUUID()
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state) VALUES (2, ?, 'nodetails', 1, 'enabled'), (3, ?, 'off', 1, 'disabled'), (5, ?, 'stale', 1, 'enabled')", noDetails, disabled, stale)
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state, removed) VALUES (4, ?, 'gone', 1, 'enabled', UTC_TIMESTAMP())", removed)
	execSQL(t, "INSERT INTO "+db+".account_details (account_id, name, value) VALUES (1, 'minio-accesskey', ?), (1, 'minio-secretkey', 'old'), (1, 'minio-secretkey', 'the-secret'), (5, 'minio-accesskey', 'acs-someone-else'), (5, 'minio-secretkey', 'not-for-this-key')", key)

	for _, c := range []struct {
		name, key, secret, owner string
		err                      error
	}{
		{"live, with keys (the newest row)", key, "the-secret", live, nil},
		{"live, no keys", "acs-" + noDetails, "", noDetails, nil},
		{"keys stored for another name", "acs-" + stale, "", stale, nil},
		{"disabled", "acs-" + disabled, "", "", auth.ErrAccessDenied},
		{"removed", "acs-" + removed, "", "", auth.ErrInvalidAccessKeyID},
		{"unknown", "acs-" + newUUID(), "", "", auth.ErrInvalidAccessKeyID},
		{"not an acs- name", "AKIAEXAMPLE", "", "", auth.ErrInvalidAccessKeyID},
		{"injection", "acs-' OR '1'='1", "", "", auth.ErrInvalidAccessKeyID},
	} {
		cred, err := p.Lookup(ctx, c.key)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %+v %v, want %v", c.name, cred, err, c.err)
			}
			continue
		}
		if err != nil || cred.Secret != c.secret || cred.Owner != c.owner || cred.AccessKeyID != c.key {
			t.Errorf("%s: %+v %v", c.name, cred, err)
		}
	}
}

// adminReq signs a MinIO admin API request as MinioAdminClient does: SigV4
// with the empty region.
func adminReq(t *testing.T, base, method, cmd string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+"/minio/admin/v3/"+cmd, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: opKey, SecretAccessKey: opSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "s3", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func adminCall(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// sealForJava is minio-java's add-user body: salt || 0x00 || nonce || sio.
func sealForJava(t *testing.T, secret string, plain []byte) []byte {
	t.Helper()
	salt, nonce := make([]byte, 32), make([]byte, 8)
	rand.Read(salt)
	rand.Read(nonce)
	stream, err := sio.AES_256_GCM.Stream(argon2.IDKey([]byte(secret), salt, 1, 64*1024, 4, 32))
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBuffer(append(append(salt, 0), nonce...))
	w := stream.EncryptWriter(out, nonce, nil)
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// startMinioCaddy runs the real server with the admin API (the operator's
// static key) and CloudStack's database as a credential source.
func startMinioCaddy(t *testing.T) string {
	t.Helper()
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	srv := testserver.Start(t, testserver.Config{
		Bin: buildCaddy(t),
		Dir: t.TempDir(),
		Caddyfile: fmt.Sprintf(`{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https off
}

http://%s {
	s3 {
		root %s
		admin_api_keys %s
		credentials static {
			key %s %s operator
		}
		credentials cloudstack {
			dsn "cloud:{env.CS_DB_PASSWORD}@tcp(127.0.0.1:%d)/cloud"
			database_key {env.CS_DATABASE_KEY}
			cache_ttl 1s
			negative_cache_ttl 500ms
		}
	}
}
`, addr, t.TempDir(), opKey, opKey, opSecret, maria.port),
		Env:  map[string]string{"CS_DB_PASSWORD": dbPassword, "CS_DATABASE_KEY": databaseKey},
		Wait: []string{addr},
	})
	base := srv.URL()
	return base
}

// The real server with CloudStack's database and the admin API: an acs-
// user CloudStack already knows (account_details) works without add-user;
// one made by add-user works while its account is live and enabled, and
// stops when CloudStack disables or removes the account.
func TestCaddyMinioUsers(t *testing.T) {
	execSQL(t, "CREATE TABLE IF NOT EXISTS cloud.account_details (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, account_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(4096) NOT NULL)")
	known, made := newUUID(), newUUID()
	var ids [2]int64
	for i, u := range []string{known, made} {
		r, err := maria.root.Exec("INSERT INTO cloud.account (uuid, account_name, domain_id, state, created) VALUES (?, ?, 1, 'enabled', UTC_TIMESTAMP())", u, "objstore-"+u[:8])
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = r.LastInsertId()
	}
	knownKey, madeKey := "acs-"+known, "acs-"+made
	execSQL(t, "INSERT INTO cloud.account_details (account_id, name, value) VALUES (?, 'minio-accesskey', ?), (?, 'minio-secretkey', 'known-secret')", ids[0], knownKey, ids[0])

	base := startMinioCaddy(t)

	// Known to CloudStack only: user-info answers its secret, and it signs.
	status, body := adminCall(t, adminReq(t, base, "GET", "user-info?accessKey="+knownKey, nil))
	var ui struct{ SecretKey, Status string }
	if status != 200 || json.Unmarshal(body, &ui) != nil || ui.SecretKey != "known-secret" || ui.Status != "enabled" {
		t.Fatalf("user-info of a user CloudStack knows: %d %s", status, body)
	}
	if _, owner, err := listBuckets(t, client(base, knownKey, "known-secret")); err != nil || owner != known {
		t.Fatalf("known user: owner %q, %v", owner, err)
	}

	// Made by add-user.
	status, body = adminCall(t, adminReq(t, base, "PUT", "add-user?accessKey="+madeKey,
		sealForJava(t, opSecret, []byte(`{"secretKey":"made-secret","policyName":"","memberOf":[],"status":"enabled"}`))))
	if status != 200 {
		t.Fatalf("add-user: %d %s", status, body)
	}
	made3 := client(base, madeKey, "made-secret")
	createBucket(t, made3, "objstore-"+made[:8])
	if _, owner, err := listBuckets(t, made3); err != nil || owner != made {
		t.Fatalf("made user: owner %q, %v", owner, err)
	}

	// CloudStack disables one account and removes the other.
	execSQL(t, "UPDATE cloud.account SET state = 'disabled' WHERE id = ?", ids[1])
	execSQL(t, "UPDATE cloud.account SET removed = UTC_TIMESTAMP() WHERE id = ?", ids[0])
	eventually(t, 10*time.Second, "the disabled account's user refused", func() error {
		_, _, err := listBuckets(t, made3)
		if s, c := apiError(err); s != 403 || c != "AccessDenied" {
			return fmt.Errorf("%d %s", s, c)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the removed account's user unknown", func() error {
		_, _, err := listBuckets(t, client(base, knownKey, "known-secret"))
		if s, c := apiError(err); s != 403 || c != "InvalidAccessKeyId" {
			return fmt.Errorf("%d %s", s, c)
		}
		return nil
	})
	if status, body := adminCall(t, adminReq(t, base, "GET", "user-info?accessKey="+knownKey, nil)); status != 404 {
		t.Fatalf("user-info of a removed account's user: %d %s", status, body)
	}
}

// How a tenant reaches the bucket CloudStack made for it, with the real
// credential sources: the operator's key makes the bucket (as CloudStack's
// driver does with the store's keys); the account's policy, attached with
// set-user-or-group-policy, hands it to the account; then the account's
// acs- user and its CloudStack API key (read from the database) both own
// it, and a bucket the policy does not name stays the operator's.
func TestCaddyMinioHandOver(t *testing.T) {
	execSQL(t, "CREATE TABLE IF NOT EXISTS cloud.account_details (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, account_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(4096) NOT NULL)")
	alice := k("cloud", "alice")
	base := startMinioCaddy(t)
	user := "acs-" + alice.owner
	if status, body := adminCall(t, adminReq(t, base, "PUT", "add-user?accessKey="+user,
		sealForJava(t, opSecret, []byte(`{"secretKey":"handover-secret","policyName":"","memberOf":[],"status":"enabled"}`)))); status != 200 {
		t.Fatalf("add-user: %d %s", status, body)
	}
	op := client(base, opKey, opSecret)
	mine, other := "handover-"+alice.owner[:8], "handover-op-"+alice.owner[:8]
	createBucket(t, op, mine)
	createBucket(t, op, other)
	policy := `{"Statement":[{"Action":"s3:*","Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::` + mine + `/*"]}],"Version":"2012-10-17"}`
	for _, cmd := range []struct {
		method, path string
		body         []byte
	}{
		{"PUT", "add-canned-policy?name=" + user + "-policy", []byte(policy)},
		{"PUT", "set-user-or-group-policy?isGroup=false&policyName=" + user + "-policy&userOrGroup=" + user, nil},
	} {
		if status, body := adminCall(t, adminReq(t, base, cmd.method, cmd.path, cmd.body)); status != 200 {
			t.Fatalf("%s: %d %s", cmd.path, status, body)
		}
	}
	for name, cl := range map[string]*s3.Client{"acs- user": client(base, user, "handover-secret"), "API key": client(base, alice.key, alice.secret)} {
		names, owner, err := listBuckets(t, cl)
		if err != nil || owner != alice.owner || !slices.Contains(names, mine) || slices.Contains(names, other) {
			t.Fatalf("%s: %q as %q, %v", name, names, owner, err)
		}
		if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(mine), Key: aws.String(name), Body: strings.NewReader("x")}); err != nil {
			t.Fatalf("%s: PutObject: %v", name, err)
		}
		_, err = cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(other), Key: aws.String(name), Body: strings.NewReader("x")})
		if s, c := apiError(err); s != 403 || c != "AccessDenied" {
			t.Fatalf("%s: PutObject into the operator's bucket: %d %s", name, s, c)
		}
	}
}
