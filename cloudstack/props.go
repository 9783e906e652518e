package cloudstack

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Default locations on a CloudStack management server.
const (
	DBPropertiesPath = "/etc/cloudstack/management/db.properties"
	KeyFilePath      = "/etc/cloudstack/management/key"
	SecretKeyEnv     = "CLOUD_SECRET_KEY"
)

// DBConfig is what the provider needs from db.properties: where
// the cloud database is and the database key that decrypts secret keys.
type DBConfig struct {
	// DSN is a go-sql-driver/mysql DSN for the cloud database.
	DSN string
	// DatabaseKey decrypts secret_key values; empty when
	// db.cloud.encryption.type is none.
	DatabaseKey string
}

// ManagementKey returns the management key that decrypts the
// ENC(…) values of db.properties: the first line of keyFile when it is set,
// else the CLOUD_SECRET_KEY variable (getenv) when set, else the first line
// of the default key file. encType is db.cloud.encryption.type ("file",
// "env", "web", "none"); "none" needs no key.
func ManagementKey(encType, keyFile string, getenv func(string) string) (string, error) {
	if strings.EqualFold(encType, "none") {
		return "", nil
	}
	if keyFile == "" {
		if v := getenv(SecretKeyEnv); v != "" {
			return v, nil
		}
		if strings.EqualFold(encType, "env") {
			return "", fmt.Errorf("cloudstack: db.cloud.encryption.type is env but %s is not set", SecretKeyEnv)
		}
		keyFile = KeyFilePath
	}
	f, err := os.Open(keyFile)
	if err != nil {
		return "", fmt.Errorf("cloudstack: management key: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("cloudstack: management key %s: %w", keyFile, err)
		}
		return "", fmt.Errorf("cloudstack: management key file %s is empty", keyFile)
	}
	key := strings.TrimRight(sc.Text(), "\r")
	if key == "" {
		return "", fmt.Errorf("cloudstack: the first line of management key file %s is empty", keyFile)
	}
	return key, nil
}

// LoadDBProperties reads CloudStack's db.properties and returns
// the DSN of the cloud database and the database key, decrypting ENC(…)
// values with the management key (see ManagementKey for keyFile
// and getenv).
func LoadDBProperties(path, keyFile string, getenv func(string) string) (DBConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return DBConfig{}, fmt.Errorf("cloudstack: db_properties: %w", err)
	}
	defer f.Close()
	props, err := ParseJavaProperties(f)
	if err != nil {
		return DBConfig{}, fmt.Errorf("cloudstack: %s: %w", path, err)
	}
	encType := strings.TrimSpace(props["db.cloud.encryption.type"])
	mgmtKey, err := ManagementKey(encType, keyFile, getenv)
	if err != nil {
		return DBConfig{}, err
	}
	return DBConfigFromProperties(props, mgmtKey)
}

// DBConfigFromProperties builds the configuration from parsed
// db.properties (db.cloud.host, .port, .username, .password, .name,
// .encrypt.secret, .encryption.type). ENC(…) values are decrypted with
// managementKey; a key that decrypts nothing is an error, never garbage.
func DBConfigFromProperties(props map[string]string, managementKey string) (DBConfig, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(props[k]); v != "" {
			return v
		}
		return def
	}
	encType := get("db.cloud.encryption.type", "file")
	plain := strings.EqualFold(encType, "none")
	dec := func(name string) (string, error) {
		v := props[name]
		t := strings.TrimSpace(v)
		if !strings.HasPrefix(t, "ENC(") {
			return v, nil
		}
		if plain || managementKey == "" {
			return "", fmt.Errorf("cloudstack: %s is encrypted but there is no management key", name)
		}
		pt, err := DecryptPropertyValue(managementKey, t)
		if err != nil {
			return "", fmt.Errorf("cloudstack: cannot decrypt %s with the management key (key_file or %s wrong?): %w",
				name, SecretKeyEnv, err)
		}
		return pt, nil
	}
	password, err := dec("db.cloud.password")
	if err != nil {
		return DBConfig{}, err
	}
	var dbKey string
	if !plain {
		dbKey, err = dec("db.cloud.encrypt.secret")
		if err != nil {
			return DBConfig{}, err
		}
		if dbKey == "" {
			return DBConfig{}, fmt.Errorf("cloudstack: db.cloud.encrypt.secret is missing (encryption type %s)", encType)
		}
	}
	host := get("db.cloud.host", "localhost")
	if i := strings.IndexByte(host, ','); i >= 0 { // several hosts: use the first
		host = strings.TrimSpace(host[:i])
	}
	cfg := mysql.NewConfig()
	cfg.User = get("db.cloud.username", "cloud")
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, get("db.cloud.port", "3306"))
	cfg.DBName = get("db.cloud.name", "cloud")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Timeout = 5 * time.Second
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 30 * time.Second
	return DBConfig{DSN: cfg.FormatDSN(), DatabaseKey: dbKey}, nil
}
