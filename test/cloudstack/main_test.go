// Package cloudstack tests the CloudStack credential source against a real
// MariaDB server and through the real Caddy binary.
//
// TestMain starts a private MariaDB server as a child process (its own data
// directory, socket and loopback port; never the system service), with a
// `cloud` user that has a password and SELECT grants, and builds three
// CloudStack databases from the columns in ../shared/cloudstack-notes.md:
//
//   - cloud: the 4.23+ layout (cloud.api_keypair, key-pair permissions),
//     V2 and V1 secrets encrypted with a database key;
//   - cloud422: the 4.20–4.22 layout (keys on cloud.user, api_key_access
//     columns), V1 secrets, read through a db.properties with ENC(…) values;
//   - cloudplain: the pre-4.20 layout (no api_key_access columns) with plain
//     secrets (db.cloud.encryption.type=none).
//
// The tests stop and restart the server to check the grace period. The
// server dies with the test process (Pdeathsig) and TestMain stops it at the
// end; start and stop are bounded.
//
// Environment: CADDYS3_BIN tests a prebuilt server binary; CADDYS3_CS_KEEP=1
// keeps the temporary directory.
package cloudstack

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/caddys3/caddys3/internal/testserver"
)

const (
	dbUser     = "cloud"
	dbPassword = "cloud-db-pw"
	// databaseKey encrypts the secrets of the "cloud" (4.23) database.
	databaseKey = "s3cr3t-database-key"
	// managementKey encrypts db.properties values for "cloud422"; its
	// database key is legacyDatabaseKey.
	managementKey     = "management-key-on-first-line"
	legacyDatabaseKey = "legacy-db-key"
)

// maria is the private database server.
var maria struct {
	dir    string
	data   string
	sock   string
	port   int
	log    string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	root   *sql.DB // root over the unix socket, for fixtures
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	// The children get SIGKILL when this thread dies (Pdeathsig).
	runtime.LockOSThread()
	dir, err := os.MkdirTemp("", "caddys3-cs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudstack:", err)
		return 1
	}
	defer func() {
		if os.Getenv("CADDYS3_CS_KEEP") != "" {
			fmt.Fprintln(os.Stderr, "cloudstack: kept", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	maria.dir = dir
	watchdog := time.AfterFunc(20*time.Minute, func() {
		fmt.Fprintln(os.Stderr, "cloudstack: hard timeout, stopping MariaDB")
		stopMaria()
		stopCaddy()
		os.Exit(3)
	})
	defer watchdog.Stop()

	if err := setupMaria(); err != nil {
		fmt.Fprintln(os.Stderr, "cloudstack: MariaDB:", err)
		dumpFile(maria.log, 40)
		stopMaria()
		return 1
	}
	defer stopMaria()
	if err := buildFixtures(); err != nil {
		fmt.Fprintln(os.Stderr, "cloudstack: fixtures:", err)
		return 1
	}
	code := m.Run()
	stopCaddy()
	return code
}

func findBin(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("none of %v found (test/install-deps installs mariadb-server)", names)
}

var freePort = testserver.FreePort

func setupMaria() error {
	install, err := findBin("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return err
	}
	maria.data = filepath.Join(maria.dir, "data")
	maria.sock = filepath.Join(maria.dir, "mysqld.sock")
	maria.log = filepath.Join(maria.dir, "mariadb.log")
	if maria.port, err = freePort(); err != nil {
		return err
	}
	args := []string{"--no-defaults", "--datadir=" + maria.data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, install, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", install, err, out)
	}
	if err := startMaria(); err != nil {
		return err
	}
	maria.root, err = sql.Open("mysql", "root@unix("+maria.sock+")/?multiStatements=true")
	if err != nil {
		return err
	}
	maria.root.SetMaxOpenConns(2)
	return nil
}

// startMaria starts mariadbd on the data directory and waits until it
// answers (at most 60 s).
func startMaria() error {
	bin, err := findBin("mariadbd", "mysqld")
	if err != nil {
		return err
	}
	args := []string{"--no-defaults",
		"--datadir=" + maria.data,
		"--socket=" + maria.sock,
		"--port=" + fmt.Sprint(maria.port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--pid-file=" + filepath.Join(maria.dir, "mysqld.pid"),
		"--log-error=" + maria.log,
		"--tmpdir=" + maria.dir,
		"--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=16M",
		"--innodb-use-native-aio=0",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--default-time-zone=+00:00",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	maria.mu.Lock()
	maria.cmd, maria.exited = cmd, exited
	maria.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			return errors.New("mariadbd exited during start-up")
		default:
		}
		if c, err := net.DialTimeout("unix", maria.sock, time.Second); err == nil {
			c.Close()
			if t, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", maria.port), time.Second); err == nil {
				t.Close()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("mariadbd not ready after 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopMaria stops the server (SIGTERM, SIGKILL after 30 s) and waits.
func stopMaria() {
	maria.mu.Lock()
	cmd, exited := maria.cmd, maria.exited
	maria.cmd = nil
	maria.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// restartMaria starts the stopped server again on the same port and data.
func restartMaria(t testing.TB) {
	t.Helper()
	if err := startMaria(); err != nil {
		dumpFile(maria.log, 30)
		t.Fatalf("restarting MariaDB: %v", err)
	}
}

func dumpFile(path string, lines int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	for _, l := range all {
		fmt.Fprintln(os.Stderr, "  |", l)
	}
}

// dsn is the cloud user's DSN for one database, over TCP as on a real
// management server.
func dsn(db string) string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", dbUser, dbPassword, maria.port, db)
}

// exec runs fixture SQL as root.
func execSQL(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := maria.root.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
