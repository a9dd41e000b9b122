package redact

// keywords finds which of a fixed set of lower-case keywords occur in a text, in one
// pass with a table lookup per byte (a two-byte prefix table, then a comparison at the
// few places a prefix matches). Clean log lines cost little more than reading them.
type keywords struct {
	prefix    [1 << 10]uint64 // bit p: some keyword starts with the two bytes p (8 KiB: stays in L1)
	third     []uint32        // by two-byte prefix: bit c&31 for each keyword's third byte c (all bits for two-byte keywords)
	byPre     [][]kwEntry     // by two-byte prefix
	single    [256][]kwEntry  // one-byte keywords
	anySingle bool
}

type kwEntry struct {
	kw   string
	own  uint64 // ci-report rules (bits) this keyword enables
	gl   []int  // gitleaks rules it enables
	flag uint8  // line markers (flagPEM, …) it sets
}

// Line markers the line scrubber looks for, found in the same pass as the keywords.
const (
	flagPEM    uint8 = 1 << iota // "private key"
	flagJWT                      // "eyj"
	flagDashes                   // "--"
	flagName                     // "name:"
)

// lowerTable folds ASCII upper case; other bytes map to themselves.
var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// scanFold is scan(strings.ToLower(s)) without building the lower-case copy, for ASCII
// text; it stops and reports false when s has a non-ASCII byte, whose case folding (e.g.
// the Kelvin sign to "k") only strings.ToLower gets right: the caller scans again that
// way (hit may have been called for a part of s; hits only add up, so that is harmless).
func (k *keywords) scanFold(s string, h *hits) bool {
	if !isASCII(s) {
		return false
	}
	if k.anySingle {
		for i := 0; i < len(s); i++ {
			c := lowerTable[s[i]]
			for j := range k.single[c] {
				h.add(&k.single[c][j])
			}
		}
	}
	if len(s) < 2 {
		return true
	}
	c := uint16(lowerTable[s[0]])
	for i := 0; i+1 < len(s); i++ {
		c2 := uint16(lowerTable[s[i+1]])
		p := c<<8 | c2
		c = c2
		if k.prefix[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		if i+2 < len(s) && k.third[p]&(1<<(lowerTable[s[i+2]]&31)) == 0 {
			continue
		}
		for j, e := range k.byPre[p] {
			if len(s)-i >= len(e.kw) && equalFold(s[i:i+len(e.kw)], e.kw) {
				h.add(&k.byPre[p][j])
			}
		}
	}
	return true
}

// isASCII reports whether s is all ASCII, eight bytes at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// equalFold compares ASCII s with lower-case kw, ignoring s's case.
func equalFold(s, kw string) bool {
	for i := 0; i < len(kw); i++ {
		if lowerTable[s[i]] != kw[i] {
			return false
		}
	}
	return true
}

func newKeywords() *keywords {
	return &keywords{byPre: make([][]kwEntry, 1<<16), third: make([]uint32, 1<<16)}
}

func (k *keywords) add(kw string, own uint64, gl []int) { k.addFlag(kw, own, gl, 0) }

func (k *keywords) addFlag(kw string, own uint64, gl []int, flag uint8) {
	if kw == "" {
		return
	}
	if len(kw) == 1 {
		k.single[kw[0]] = append(k.single[kw[0]], kwEntry{kw, own, gl, flag})
		k.anySingle = true
		return
	}
	p := uint16(kw[0])<<8 | uint16(kw[1])
	for i, e := range k.byPre[p] {
		if e.kw == kw {
			k.byPre[p][i].own |= own
			k.byPre[p][i].gl = append(k.byPre[p][i].gl, gl...)
			k.byPre[p][i].flag |= flag
			return
		}
	}
	k.prefix[p>>6] |= 1 << (p & 63)
	if len(kw) == 2 {
		k.third[p] = ^uint32(0)
	} else {
		k.third[p] |= 1 << (kw[2] & 31)
	}
	k.byPre[p] = append(k.byPre[p], kwEntry{kw, own, gl, flag})
}

// scan adds to h every keyword occurrence in lower.
func (k *keywords) scan(lower string, h *hits) {
	for i := 0; i < len(lower); i++ {
		if s := k.single[lower[i]]; s != nil {
			for j := range s {
				h.add(&s[j])
			}
		}
		if i+1 >= len(lower) {
			break
		}
		p := uint16(lower[i])<<8 | uint16(lower[i+1])
		if k.prefix[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for j, e := range k.byPre[p] {
			if len(lower)-i >= len(e.kw) && lower[i:i+len(e.kw)] == e.kw {
				h.add(&k.byPre[p][j])
			}
		}
	}
}
