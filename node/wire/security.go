package wire

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MinSecret is the shortest shared secret accepted, in bytes. The secret
// is the cluster's only credential: use 32 random bytes (openssl rand
// -base64 32), not a word.
const MinSecret = 16

// serverName is the name every node's certificate carries and every dialer
// expects: nodes are authenticated as members of the cluster, not as
// particular hosts, so addresses (NAT, containers) never matter.
const serverName = "loadlab"

// Security is mutual TLS 1.3 keyed by a shared secret, with no PKI to
// manage: every node derives the same certificate authority from the
// secret (HKDF-SHA256 → an Ed25519 seed → a self-signed CA certificate,
// byte for byte the same everywhere), mints its own certificate signed by
// it at start, and accepts a peer only if the peer's certificate chains to
// that CA. A node without the secret cannot present such a certificate, nor
// accept one from us: its connection is refused at the handshake, and the
// traffic of those that pass is encrypted.
//
// Several secrets may be given for rotation: certificates from the CA of
// any of them are accepted, and this node's own is signed by the first's.
// A Security is immutable and safe for concurrent use.
type Security struct {
	server, client *tls.Config
	fingerprints   []string // of each CA, for logs and tests
}

// NewSecurity derives the cluster's CA from each secret (each at least
// MinSecret bytes; the first is the one this node's certificate is signed
// by) and mints this node's certificate, with a fresh Ed25519 key.
func NewSecurity(secrets ...[]byte) (*Security, error) {
	if len(secrets) == 0 {
		return nil, errors.New("wire: security: no secret")
	}
	roots := x509.NewCertPool()
	s := &Security{}
	var signer *x509.Certificate
	var signerKey ed25519.PrivateKey
	for i, secret := range secrets {
		if len(secret) < MinSecret {
			return nil, fmt.Errorf("wire: security: secret %d has %d bytes, want at least %d (32 random bytes, e.g. openssl rand -base64 32)", i+1, len(secret), MinSecret)
		}
		ca, key, err := clusterCA(secret)
		if err != nil {
			return nil, err
		}
		roots.AddCert(ca)
		sum := sha256.Sum256(ca.Raw)
		s.fingerprints = append(s.fingerprints, hex.EncodeToString(sum[:8]))
		if i == 0 {
			signer, signerKey = ca, key
		}
	}
	leaf, err := mintLeaf(signer, signerKey)
	if err != nil {
		return nil, err
	}
	s.server = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{leaf},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    roots,
	}
	s.client = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{leaf},
		RootCAs:      roots,
		ServerName:   serverName,
	}
	return s, nil
}

// Fingerprint identifies the CA of the primary secret (the first 8 bytes of
// the SHA-256 of its certificate, in hex): equal on every node given the
// same secret, so it can be logged and compared without revealing it.
func (s *Security) Fingerprint() string { return s.fingerprints[0] }

// ServerTLS and ClientTLS return copies of the TLS configurations a server
// and a dialer use.
func (s *Security) ServerTLS() *tls.Config { return s.server.Clone() }

// ClientTLS: see ServerTLS.
func (s *Security) ClientTLS() *tls.Config { return s.client.Clone() }

// caValidity spans all time: anyone holding the secret can mint a
// certificate, so expiry would protect nothing; rotation replaces the secret.
var (
	caNotBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	caNotAfter  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// clusterCA derives the CA key from secret and builds its self-signed
// certificate; Ed25519 signatures are deterministic, so every node builds
// the same bytes.
func clusterCA(secret []byte) (*x509.Certificate, ed25519.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, secret, []byte("loadlab wire CA v1"), "ed25519 seed", ed25519.SeedSize)
	if err != nil {
		return nil, nil, fmt.Errorf("wire: security: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	id := sha256.Sum256(pub)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "loadlab cluster CA " + hex.EncodeToString(id[:8])},
		NotBefore:             caNotBefore,
		NotAfter:              caNotAfter,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          id[:20],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, nil, fmt.Errorf("wire: security: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("wire: security: CA certificate: %w", err)
	}
	return ca, key, nil
}

// mintLeaf makes this node's certificate, for both ends of a connection,
// signed by ca.
func mintLeaf(ca *x509.Certificate, caKey ed25519.PrivateKey) (tls.Certificate, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("wire: security: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("wire: security: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: serverName + " node"},
		DNSNames:     []string{serverName},
		NotBefore:    caNotBefore,
		NotAfter:     caNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("wire: security: node certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// ParseSecrets reads secrets from the text of a secret file: one per line,
// the first primary; surrounding blanks, empty lines and lines starting
// with # are ignored. Each line is used as it is (its bytes), so any
// printable encoding of random bytes will do.
func ParseSecrets(text []byte) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if len(line) < MinSecret {
			return nil, fmt.Errorf("line %d: secret of %d bytes, want at least %d", n, len(line), MinSecret)
		}
		out = append(out, bytes.Clone(line))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no secret in the file")
	}
	return out, nil
}
