package objstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/caddys3/caddys3/auth"
)

// Dir is the store's directory below the storage root's internal
// directory: <root>/.caddys3/objstore/{users,policies}/<name>.json.
const Dir = ".caddys3/objstore"

// Sentinel errors; the caddys3 handler maps them to the admin API's
// error codes.
var (
	ErrNoSuchUser    = errors.New("objstore: no such user")
	ErrNoSuchPolicy  = errors.New("objstore: no such canned policy")
	ErrInvalidName   = errors.New("objstore: invalid name")
	ErrInvalidConfig = errors.New("objstore: invalid user or policy document")
)

// User is a user created by add-user. Its secret is stored in the file
// only (mode 0600); it is never logged.
type User struct {
	AccessKey  string    `json:"accessKey"`
	SecretKey  string    `json:"secretKey"`
	Status     string    `json:"status"` // "enabled" or "disabled"
	PolicyName string    `json:"policyName,omitempty"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// validName accepts what MinIO's access keys and policy names may be,
// and nothing that could leave the directory.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@=+,-]{0,127}$`)

// Store keeps users and canned policies as one JSON file each, published
// with rename(2) so a reader on any node sharing the root sees the old or
// the new file whole. Reads go to the file every time: no node caches a
// user, so a removal or a new secret takes effect everywhere at once.
type Store struct {
	dir   string
	fsync bool
	// Accounts, when set, is CloudStack's database (the cloudstack
	// credential source): an acs- user works only while its account is
	// live and enabled there, and a user CloudStack knows (its
	// account_details hold the key) works without a file here.
	Accounts Accounts
}

// Accounts answers for "acs-<account-uuid>" users from CloudStack's
// database: the credential of the live, enabled account (Secret "" when
// the database holds none for that key), or errors wrapping
// auth.ErrInvalidAccessKeyID (no such live account), auth.ErrAccessDenied
// (not enabled) or auth.ErrCredentialsUnavailable (the database is down:
// the files here decide meanwhile).
type Accounts interface {
	AccountCredential(ctx context.Context, accessKeyID string) (auth.Credential, error)
}

// Open creates (if needed) and opens the store below root.
func Open(root string, fsync bool) (*Store, error) {
	s := New(root, fsync)
	if err := s.Init(); err != nil {
		return nil, err
	}
	return s, nil
}

// New returns the store below root without touching the filesystem, for
// a configuration that is only validated; Init prepares it for use.
func New(root string, fsync bool) *Store {
	return &Store{dir: filepath.Join(root, filepath.FromSlash(Dir)), fsync: fsync}
}

// Init creates the store's directories (if needed) and removes stale temp
// files.
func (s *Store) Init() error {
	for _, d := range []string{"users", "policies"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o700); err != nil {
			return fmt.Errorf("objstore: %w", err)
		}
	}
	s.removeStaleTemps(time.Hour)
	return nil
}

// removeStaleTemps removes temp files a crashed write left (older than
// age: another node may be writing a younger one right now).
func (s *Store) removeStaleTemps(age time.Duration) {
	for _, d := range []string{"users", "policies"} {
		entries, _ := os.ReadDir(filepath.Join(s.dir, d))
		for _, e := range entries {
			if !strings.Contains(e.Name(), ".json.tmp-") {
				continue
			}
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > age {
				os.Remove(filepath.Join(s.dir, d, e.Name()))
			}
		}
	}
}

func (s *Store) path(kind, name string) (string, error) {
	if !validName.MatchString(name) || strings.Contains(name, "..") {
		return "", ErrInvalidName
	}
	return filepath.Join(s.dir, kind, name+".json"), nil
}

// writeAtomic publishes b at p: a 0600 temp file in the same directory,
// optionally fsynced, renamed over p.
func (s *Store) writeAtomic(p string, b []byte) error {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := p + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && s.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if s.fsync {
		if d, err := os.Open(filepath.Dir(p)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(u User) error {
	p, err := s.path("users", u.AccessKey)
	if err != nil {
		return err
	}
	if u.SecretKey == "" || len(u.SecretKey) > 4096 {
		return fmt.Errorf("%w: a secret key of 1 to 4096 bytes is required", ErrInvalidConfig)
	}
	switch u.Status {
	case "":
		u.Status = "enabled"
	case "enabled", "disabled":
	default:
		return fmt.Errorf("%w: status %q", ErrInvalidConfig, u.Status)
	}
	u.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.writeAtomic(p, b)
}

// User returns the user of accessKey (ErrNoSuchUser when none).
func (s *Store) User(accessKey string) (User, error) {
	p, err := s.path("users", accessKey)
	if err != nil {
		return User{}, ErrNoSuchUser
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return User{}, ErrNoSuchUser
	}
	if err != nil {
		return User{}, err
	}
	var u User
	if err := json.Unmarshal(b, &u); err != nil {
		return User{}, fmt.Errorf("objstore: user record %s: %w", accessKey, err)
	}
	return u, nil
}

// UserOrAccount is User, checked against CloudStack's database when
// Accounts is set and the name is an acs- one: a user of a removed
// account is unknown, of a disabled one refused (auth.ErrAccessDenied);
// without a file, the account's keys in account_details make the user.
func (s *Store) UserOrAccount(ctx context.Context, accessKey string) (User, error) {
	u, err := s.User(accessKey)
	if s.Accounts == nil || Owner(accessKey) == "madmin-"+accessKey {
		return u, err
	}
	if err != nil && !errors.Is(err, ErrNoSuchUser) {
		return u, err
	}
	acct, aerr := s.Accounts.AccountCredential(ctx, accessKey)
	switch {
	case errors.Is(aerr, auth.ErrCredentialsUnavailable):
		return u, err // the database is down: the file decides
	case errors.Is(aerr, auth.ErrInvalidAccessKeyID):
		return User{}, ErrNoSuchUser
	case aerr != nil:
		return User{}, aerr
	case err == nil:
		return u, nil
	case acct.Secret != "":
		return User{AccessKey: accessKey, SecretKey: acct.Secret, Status: "enabled"}, nil
	}
	return User{}, ErrNoSuchUser
}

// RemoveUser removes a user (ErrNoSuchUser when none).
func (s *Store) RemoveUser(accessKey string) error {
	p, err := s.path("users", accessKey)
	if err != nil {
		return ErrNoSuchUser
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return ErrNoSuchUser
	} else if err != nil {
		return err
	}
	return nil
}

// SetUserPolicy attaches the canned policy name to a user (it must
// exist); "" detaches. The read-modify-write is last-writer-wins across
// nodes, as the driver sends one call per user at a time.
func (s *Store) SetUserPolicy(accessKey, name string) error {
	u, err := s.User(accessKey)
	if err != nil {
		return err
	}
	if name != "" {
		if _, err := s.Policy(name); err != nil {
			return err
		}
	}
	u.PolicyName = name
	return s.PutUser(u)
}

// PutPolicy creates or replaces a canned policy (JSON, kept as sent).
func (s *Store) PutPolicy(name string, doc []byte) error {
	p, err := s.path("policies", name)
	if err != nil {
		return err
	}
	if !json.Valid(doc) || len(strings.TrimSpace(string(doc))) == 0 || strings.TrimSpace(string(doc))[0] != '{' {
		return fmt.Errorf("%w: a policy is a JSON object", ErrInvalidConfig)
	}
	return s.writeAtomic(p, doc)
}

// Policy returns a canned policy as sent (ErrNoSuchPolicy when none).
func (s *Store) Policy(name string) ([]byte, error) {
	p, err := s.path("policies", name)
	if err != nil {
		return nil, ErrNoSuchPolicy
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoSuchPolicy
	}
	return b, err
}

// PolicyStored is Policy with the time it was stored: the file's
// modification time (a bucket record's creation time is truncated to the
// second, so a policy stored after a bucket was made is never older).
func (s *Store) PolicyStored(name string) ([]byte, time.Time, error) {
	p, err := s.path("policies", name)
	if err != nil {
		return nil, time.Time{}, ErrNoSuchPolicy
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, ErrNoSuchPolicy
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return b, fi.ModTime().UTC(), err
}

// RemovePolicy removes a canned policy (ErrNoSuchPolicy when none).
func (s *Store) RemovePolicy(name string) error {
	p, err := s.path("policies", name)
	if err != nil {
		return ErrNoSuchPolicy
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return ErrNoSuchPolicy
	} else if err != nil {
		return err
	}
	return nil
}

// Owner is the canonical owner a user's requests act as. CloudStack's
// MinIO driver names its users "acs-<account-uuid>": they act as that
// account, the same canonical ID (the account's UUID) as the account's
// CloudStack API keys, so buckets made either way belong to one account.
// Without a CloudStack database the owner is still derived this way, from
// the name alone. Any other user (made by other madmin tools) owns as
// "madmin-<access key>", a name no CloudStack account or static key is
// expected to have, so a user name can never alias another's buckets.
func Owner(accessKey string) string {
	if uuid, ok := strings.CutPrefix(accessKey, "acs-"); ok && uuidShape.MatchString(uuid) {
		return uuid
	}
	return "madmin-" + accessKey
}

// uuidShape is a UUID as CloudStack writes them (8-4-4-4-12 hex digits).
var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Lookup implements auth.Provider: an enabled user signs as its owner; a
// disabled one is refused, an unknown one is not this provider's.
func (s *Store) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	u, err := s.UserOrAccount(ctx, accessKeyID)
	if errors.Is(err, ErrNoSuchUser) {
		return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, accessKeyID)
	}
	if errors.Is(err, auth.ErrAccessDenied) {
		return auth.Credential{}, err
	}
	if err != nil {
		return auth.Credential{}, fmt.Errorf("%w: %v", auth.ErrCredentialsUnavailable, err)
	}
	if u.Status != "enabled" {
		return auth.Credential{}, fmt.Errorf("%w: the access key is disabled", auth.ErrAccessDenied)
	}
	return auth.Credential{AccessKeyID: u.AccessKey, Secret: u.SecretKey, Owner: Owner(u.AccessKey)}, nil
}

var _ auth.Provider = (*Store)(nil)
