package redact

// keywords finds which of a fixed set of lower-case keywords occur in a text, in one
// pass with a table lookup per byte (a two-byte prefix table, then a comparison at the
// few places a prefix matches). Clean log lines cost little more than reading them.
type keywords struct {
	prefix [1 << 16]bool
	byPre  [][]kwEntry    // by two-byte prefix
	single [256][]kwEntry // one-byte keywords
}

type kwEntry struct {
	kw  string
	own uint64 // ci-report rules (bits) this keyword enables
	gl  []int  // gitleaks rules it enables
}

func newKeywords() *keywords { return &keywords{byPre: make([][]kwEntry, 1<<16)} }

func (k *keywords) add(kw string, own uint64, gl []int) {
	if kw == "" {
		return
	}
	if len(kw) == 1 {
		k.single[kw[0]] = append(k.single[kw[0]], kwEntry{kw, own, gl})
		return
	}
	p := uint16(kw[0])<<8 | uint16(kw[1])
	for i, e := range k.byPre[p] {
		if e.kw == kw {
			k.byPre[p][i].own |= own
			k.byPre[p][i].gl = append(k.byPre[p][i].gl, gl...)
			return
		}
	}
	k.prefix[p] = true
	k.byPre[p] = append(k.byPre[p], kwEntry{kw, own, gl})
}

// scan calls hit for every keyword occurrence in lower.
func (k *keywords) scan(lower string, hit func(e *kwEntry)) {
	for i := 0; i < len(lower); i++ {
		if s := k.single[lower[i]]; s != nil {
			for j := range s {
				hit(&s[j])
			}
		}
		if i+1 >= len(lower) {
			break
		}
		p := uint16(lower[i])<<8 | uint16(lower[i+1])
		if !k.prefix[p] {
			continue
		}
		for j, e := range k.byPre[p] {
			if len(lower)-i >= len(e.kw) && lower[i:i+len(e.kw)] == e.kw {
				hit(&k.byPre[p][j])
			}
		}
	}
}
