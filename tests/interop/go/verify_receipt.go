// Command verify_receipt is an independent verifier for Suyuan ledger receipts.
//
// It shares no code with the Python implementation: signed notes are opened with
// golang.org/x/mod/sumdb/note (the original signed-note implementation C2SP
// signed-note derives from), Merkle inclusion is checked with
// golang.org/x/mod/sumdb/tlog (RFC 6962/9162 hashing: leaf = SHA-256(0x00 || data)),
// and cosignature/v1 lines are checked with crypto/ed25519 following
// c2sp.org/tlog-cosignature. The receipt is a c2sp.org/tlog-proof@v1 file.
//
// Usage:
//
//	verify_receipt -log-key VKEY [-witness-key VKEY]... FILE
//	verify_receipt -log-key VKEY -consistency OLD_CHECKPOINT NEW_CHECKPOINT PROOF
//
// The second form checks two signed checkpoints and an RFC 9162 consistency proof between
// them (base64 hashes, one a line, as `tracectl ledger prove --old --new` prints) with
// tlog.CheckTree.
//
// Exit status: 0 valid (a JSON summary on stdout), 1 invalid (the reason on
// stderr), 2 usage error.
//
// Build without a module proxy (Debian: golang-go golang-golang-x-mod-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o verify_receipt verify_receipt.go
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const header = "c2sp.org/tlog-proof@v1"

// algCosignatureV1 is the signature type of Ed25519 cosignature/v1 keys.
const algCosignatureV1 = 0x04

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cosigVerifier implements note.Verifier for Ed25519 cosignature/v1 keys, written from
// c2sp.org/tlog-cosignature: key ID = SHA-256(name || "\n" || 0x04 || pubkey)[:4], the
// signature is u64 big-endian timestamp || Ed25519 signature over
// "cosignature/v1\ntime <timestamp>\n" || checkpoint body.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	time uint64 // timestamp of the last signature that verified
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > 1<<63-1 {
		return false
	}
	signed := []byte("cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n")
	signed = append(signed, msg...)
	if !ed25519.Verify(v.key, signed, sig[8:]) {
		return false
	}
	v.time = ts
	return true
}

func newCosigVerifier(vkey string) (*cosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("witness key is not name+keyid+key")
	}
	name, hexID, b64 := parts[0], parts[1], parts[2]
	id, err := hex.DecodeString(hexID)
	if err != nil || len(id) != 4 {
		return nil, errors.New("witness key id is not 4 hex bytes")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algCosignatureV1 {
		return nil, errors.New("witness key is not an Ed25519 cosignature/v1 (0x04) key")
	}
	h := sha256.Sum256(append([]byte(name+"\n"), raw...))
	if !bytes.Equal(h[:4], id) {
		return nil, fmt.Errorf("witness key id %x does not match the key (%x)", id, h[:4])
	}
	return &cosigVerifier{name: name, hash: binary.BigEndian.Uint32(id), key: raw[1:]}, nil
}

type extraData struct {
	Record   string `json:"record"`
	Envelope string `json:"envelope"`
	Key      struct {
		Index  int64    `json:"index"`
		Record string   `json:"record"`
		Proof  []string `json:"proof"`
	} `json:"key"`
}

type summary struct {
	Valid     bool     `json:"valid"`
	Origin    string   `json:"origin"`
	Size      int64    `json:"size"`
	Root      string   `json:"root"`
	Index     int64    `json:"index"`
	LeafHash  string   `json:"leaf_hash"`
	EventHash string   `json:"event_hash"`
	KeyIndex  int64    `json:"key_index"`
	Witnesses []string `json:"witnesses"`
}

func decimal(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q is not a canonical decimal", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a canonical decimal", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func decodeHashes(lines []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(lines))
	for _, l := range lines {
		raw, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("proof line %q is not a base64 SHA-256 hash", l)
		}
		var h tlog.Hash
		copy(h[:], raw)
		out = append(out, h)
	}
	return out, nil
}

func verify(data []byte, logKey string, witnessKeys []string) (*summary, error) {
	// c2sp.org/tlog-proof@v1: header, optional extra, index, proof lines, blank line, checkpoint.
	cut := bytes.Index(data, []byte("\n\n"))
	if cut < 0 {
		return nil, errors.New("no blank line between the proof and the checkpoint")
	}
	head, cpNote := strings.Split(string(data[:cut]), "\n"), data[cut+2:]
	if head[0] != header {
		return nil, fmt.Errorf("first line is not %q", header)
	}
	head = head[1:]
	var extraB64 string
	if len(head) > 0 && strings.HasPrefix(head[0], "extra ") {
		extraB64, head = head[0][len("extra "):], head[1:]
	}
	if len(head) == 0 || !strings.HasPrefix(head[0], "index ") {
		return nil, errors.New("missing index line")
	}
	index, err := decimal(head[0][len("index "):])
	if err != nil {
		return nil, fmt.Errorf("index: %v", err)
	}
	proof, err := decodeHashes(head[1:])
	if err != nil {
		return nil, err
	}

	// Checkpoint: a signed note by the log key (sumdb/note), plus cosignatures.
	logV, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("log key: %v", err)
	}
	known := []note.Verifier{logV}
	var wits []*cosigVerifier
	for _, wk := range witnessKeys {
		w, err := newCosigVerifier(wk)
		if err != nil {
			return nil, fmt.Errorf("witness key: %v", err)
		}
		wits = append(wits, w)
		known = append(known, w)
	}
	n, err := note.Open(cpNote, note.VerifierList(known...))
	if err != nil {
		return nil, fmt.Errorf("checkpoint note: %v", err)
	}
	signed := map[string]bool{}
	for _, s := range n.Sigs {
		signed[fmt.Sprintf("%s/%08x", s.Name, s.Hash)] = true
	}
	if !signed[fmt.Sprintf("%s/%08x", logV.Name(), logV.KeyHash())] {
		return nil, errors.New("checkpoint is not signed by the log key")
	}
	witnesses := []string{}
	for _, w := range wits {
		if !signed[fmt.Sprintf("%s/%08x", w.name, w.hash)] {
			return nil, fmt.Errorf("no cosignature by witness %s", w.name)
		}
		witnesses = append(witnesses, w.name)
	}

	// c2sp.org/tlog-checkpoint body: origin, size, base64 root hash, optional extensions.
	body := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(body) < 3 {
		return nil, errors.New("checkpoint body has fewer than three lines")
	}
	if body[0] != logV.Name() {
		return nil, fmt.Errorf("checkpoint origin %q is not the log key's name %q", body[0], logV.Name())
	}
	size, err := decimal(body[1])
	if err != nil {
		return nil, fmt.Errorf("checkpoint size: %v", err)
	}
	roots, err := decodeHashes(body[2:3])
	if err != nil {
		return nil, fmt.Errorf("checkpoint root: %v", err)
	}
	root := roots[0]

	// extra: the custody record (the leaf bytes) and the key entry that registered its key.
	if extraB64 == "" {
		return nil, errors.New("no extra line: the receipt does not carry the record")
	}
	rawExtra, err := base64.StdEncoding.DecodeString(extraB64)
	if err != nil {
		return nil, errors.New("extra is not base64")
	}
	var extra extraData
	if err := json.Unmarshal(rawExtra, &extra); err != nil {
		return nil, fmt.Errorf("extra is not the expected JSON: %v", err)
	}
	leaf, err := base64.StdEncoding.DecodeString(extra.Record)
	if err != nil || len(leaf) == 0 {
		return nil, errors.New("extra.record is not base64 leaf bytes")
	}
	if index >= size {
		return nil, fmt.Errorf("index %d is outside the checkpoint (size %d)", index, size)
	}
	leafHash := tlog.RecordHash(leaf)
	if err := tlog.CheckRecord(proof, size, root, index, leafHash); err != nil {
		return nil, fmt.Errorf("inclusion of entry %d in tree %d: %v", index, size, err)
	}

	// Application checks on the (now authenticated) record: it names this index, commits to
	// the envelope, and the key entry (itself proved included) registers the signing key.
	var rec struct {
		Index     int64  `json:"index"`
		Kind      string `json:"kind"`
		EventHash string `json:"event_hash"`
		Envelope  string `json:"envelope"`
		Key       string `json:"key"`
		Device    string `json:"device"`
		Sig       string `json:"sig"`
	}
	if err := json.Unmarshal(leaf, &rec); err != nil {
		return nil, fmt.Errorf("record is not JSON: %v", err)
	}
	if rec.Index != index || rec.Kind != "event" {
		return nil, fmt.Errorf("record says index %d kind %q, proof is for index %d", rec.Index, rec.Kind, index)
	}
	keyLeaf, err := base64.StdEncoding.DecodeString(extra.Key.Record)
	if err != nil || len(keyLeaf) == 0 {
		return nil, errors.New("extra.key.record is not base64")
	}
	keyProof, err := decodeHashes(extra.Key.Proof)
	if err != nil {
		return nil, fmt.Errorf("key proof: %v", err)
	}
	if extra.Key.Index < 0 || extra.Key.Index >= index {
		return nil, errors.New("key entry must precede the record")
	}
	if err := tlog.CheckRecord(keyProof, size, root, extra.Key.Index, tlog.RecordHash(keyLeaf)); err != nil {
		return nil, fmt.Errorf("inclusion of key entry %d: %v", extra.Key.Index, err)
	}
	var keyRec struct {
		Body struct {
			KeyID     string `json:"key_id"`
			Device    string `json:"device"`
			PublicKey string `json:"public_key"`
		} `json:"body"`
	}
	if err := json.Unmarshal(keyLeaf, &keyRec); err != nil {
		return nil, fmt.Errorf("key record is not JSON: %v", err)
	}
	pub, err := base64.StdEncoding.DecodeString(keyRec.Body.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("key entry has no Ed25519 public key")
	}
	kh := sha256.Sum256(pub)
	if keyRec.Body.KeyID != rec.Key || rec.Key != "ed25519:"+hex.EncodeToString(kh[:])[:16] || keyRec.Body.Device != rec.Device {
		return nil, errors.New("key entry does not register the record's key")
	}
	env, err := base64.StdEncoding.DecodeString(extra.Envelope)
	if err != nil {
		return nil, errors.New("extra.envelope is not base64")
	}
	eh := sha256.Sum256(env)
	if hex.EncodeToString(eh[:]) != rec.Envelope {
		return nil, errors.New("envelope does not match the record's digest")
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rec.Sig, "="))
	if err != nil || !ed25519.Verify(pub, env, sig) {
		return nil, errors.New("device signature over the envelope does not verify")
	}

	return &summary{
		Valid: true, Origin: body[0], Size: size, Root: base64.StdEncoding.EncodeToString(root[:]),
		Index: index, LeafHash: hex.EncodeToString(leafHash[:]), EventHash: rec.EventHash,
		KeyIndex: extra.Key.Index, Witnesses: witnesses,
	}, nil
}

// openCheckpoint verifies a checkpoint note with the log key and returns its size and root.
func openCheckpoint(data []byte, logV note.Verifier) (int64, tlog.Hash, error) {
	n, err := note.Open(data, note.VerifierList(logV))
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint note: %v", err)
	}
	body := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(body) < 3 || body[0] != logV.Name() {
		return 0, tlog.Hash{}, errors.New("not a checkpoint of this log")
	}
	size, err := decimal(body[1])
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint size: %v", err)
	}
	roots, err := decodeHashes(body[2:3])
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint root: %v", err)
	}
	return size, roots[0], nil
}

func consistency(oldNote, newNote, proofText []byte, logKey string) (map[string]int64, error) {
	logV, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("log key: %v", err)
	}
	oldSize, oldRoot, err := openCheckpoint(oldNote, logV)
	if err != nil {
		return nil, fmt.Errorf("old %v", err)
	}
	newSize, newRoot, err := openCheckpoint(newNote, logV)
	if err != nil {
		return nil, fmt.Errorf("new %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(proofText), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	proof, err := decodeHashes(lines)
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize {
		return nil, fmt.Errorf("no consistency proof from %d to %d", oldSize, newSize)
	}
	if err := tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot); err != nil {
		return nil, fmt.Errorf("consistency %d -> %d: %v", oldSize, newSize, err)
	}
	return map[string]int64{"old": oldSize, "new": newSize}, nil
}

func main() {
	var logKey string
	var witnessKeys multiFlag
	flag.StringVar(&logKey, "log-key", "", "the log's verifier key (name+keyid+base64(0x01||pubkey))")
	flag.Var(&witnessKeys, "witness-key", "a required witness cosignature/v1 key (repeatable)")
	consistencyMode := flag.Bool("consistency", false, "check OLD NEW PROOF (see above)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: verify_receipt -log-key VKEY [-witness-key VKEY]... FILE")
		fmt.Fprintln(os.Stderr, "       verify_receipt -log-key VKEY -consistency OLD NEW PROOF")
		flag.PrintDefaults()
	}
	flag.Parse()
	want := 1
	if *consistencyMode {
		want = 3
	}
	if logKey == "" || flag.NArg() != want {
		flag.Usage()
		os.Exit(2)
	}
	var files [][]byte
	for _, name := range flag.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		files = append(files, data)
	}
	var result interface{}
	var err error
	if *consistencyMode {
		result, err = consistency(files[0], files[1], files[2], logKey)
	} else {
		result, err = verify(files[0], logKey, witnessKeys)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "invalid:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}
