package policy

import (
	"iter"
	"math/bits"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/cedar-policy/cedar-go/x/exp/ast"
)

// The scope index. cedar.Authorize evaluates every policy it is given, and
// a policy whose principal, action or resource scope does not match the
// request evaluates to false without evaluating its conditions, so it
// contributes neither a reason nor an error. Leaving such policies out
// therefore changes nothing in the decision or its diagnostics. The index
// keeps, per scope dimension, which policies a given entity uid or entity
// type can match, and intersects the three dimensions as bitsets.
//
// A scope "== E" or "in E" can match only a request entity that is E or
// has E among its ancestors; "is T" only an entity of type T; "is T in E"
// only one that is E or descends from E (its type is checked by Cedar).
// An entity's ancestors are read from the same EntityGetter that Authorize
// uses, so the index and the evaluator agree on the hierarchy.

// bitset is a set of policy positions.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int) { b[i/64] |= 1 << (uint(i) % 64) }

func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// dimension indexes one scope (principal, action or resource).
type dimension struct {
	any    bitset                     // policies matching every entity
	byUID  map[types.EntityUID]bitset // "==", "in", "is in" on this uid
	byType map[types.EntityType]bitset
}

func newDimension(n int) *dimension {
	return &dimension{any: newBitset(n), byUID: map[types.EntityUID]bitset{}, byType: map[types.EntityType]bitset{}}
}

func (d *dimension) addUID(n, i int, uid types.EntityUID) {
	b, ok := d.byUID[uid]
	if !ok {
		b = newBitset(n)
		d.byUID[uid] = b
	}
	b.set(i)
}

func (d *dimension) addType(n, i int, t types.EntityType) {
	b, ok := d.byType[t]
	if !ok {
		b = newBitset(n)
		d.byType[t] = b
	}
	b.set(i)
}

// add records the scope node of policy i.
func (d *dimension) add(n, i int, scope ast.IsScopeNode) {
	switch s := scope.(type) {
	case ast.ScopeTypeEq:
		d.addUID(n, i, s.Entity)
	case ast.ScopeTypeIn:
		d.addUID(n, i, s.Entity)
	case ast.ScopeTypeInSet:
		for _, e := range s.Entities {
			d.addUID(n, i, e)
		}
	case ast.ScopeTypeIs:
		d.addType(n, i, s.Type)
	case ast.ScopeTypeIsIn:
		d.addUID(n, i, s.Entity)
	default: // ScopeTypeAll and anything newer: always a candidate
		d.any.set(i)
	}
}

// candidates writes into out the policies that can match uid.
func (d *dimension) candidates(out bitset, uid types.EntityUID, entities types.EntityGetter, scratch *ancestorScratch) {
	copy(out, d.any)
	if b, ok := d.byType[uid.Type]; ok {
		out.or(b)
	}
	if len(d.byUID) == 0 {
		return
	}
	if b, ok := d.byUID[uid]; ok {
		out.or(b)
	}
	scratch.walk(uid, entities, func(a types.EntityUID) {
		if b, ok := d.byUID[a]; ok {
			out.or(b)
		}
	})
}

// index is the scope index of a policy list.
type index struct {
	n                           int
	policies                    []namedPolicy
	principal, action, resource *dimension
}

func buildIndex(policies []namedPolicy) *index {
	n := len(policies)
	ix := &index{n: n, policies: policies, principal: newDimension(n), action: newDimension(n), resource: newDimension(n)}
	for i, p := range policies {
		a := p.policy.AST()
		ix.principal.add(n, i, a.Principal)
		ix.action.add(n, i, a.Action)
		ix.resource.add(n, i, a.Resource)
	}
	return ix
}

// candidates returns the policies whose scopes can all match req.
func (ix *index) candidates(req cedar.Request, entities types.EntityGetter) *candidateList {
	c := &candidateList{ix: ix, set: newBitset(ix.n)}
	tmp := newBitset(ix.n)
	var scratch ancestorScratch
	ix.principal.candidates(c.set, req.Principal, entities, &scratch)
	ix.action.candidates(tmp, req.Action, entities, &scratch)
	for i := range c.set {
		c.set[i] &= tmp[i]
	}
	ix.resource.candidates(tmp, req.Resource, entities, &scratch)
	for i := range c.set {
		c.set[i] &= tmp[i]
	}
	return c
}

// candidateList is a cedar.PolicyIterator over the candidates, in the
// order of the set.
type candidateList struct {
	ix  *index
	set bitset
}

// All implements cedar.PolicyIterator.
func (c *candidateList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for w, word := range c.set {
			for word != 0 {
				i := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				p := c.ix.policies[i]
				if !yield(p.id, p.policy) {
					return
				}
			}
		}
	}
}

// Len returns the number of candidates.
func (c *candidateList) Len() int {
	n := 0
	for _, w := range c.set {
		n += bits.OnesCount64(w)
	}
	return n
}

// ancestorScratch walks the transitive parents of an entity, guarding
// against cycles in user-supplied hierarchies. Hierarchies are shallow, so
// the visited set is a slice: no map is allocated per request.
type ancestorScratch struct {
	seen  []types.EntityUID
	queue []types.EntityUID
}

func (s *ancestorScratch) visited(uid types.EntityUID) bool {
	for _, v := range s.seen {
		if v == uid {
			return true
		}
	}
	return false
}

func (s *ancestorScratch) walk(uid types.EntityUID, entities types.EntityGetter, visit func(types.EntityUID)) {
	e, ok := entities.Get(uid)
	if !ok || e.Parents.Len() == 0 {
		return
	}
	s.seen = append(s.seen[:0], uid)
	s.queue = s.queue[:0]
	for p := range e.Parents.All() {
		s.queue = append(s.queue, p)
	}
	for len(s.queue) > 0 {
		a := s.queue[len(s.queue)-1]
		s.queue = s.queue[:len(s.queue)-1]
		if s.visited(a) {
			continue
		}
		s.seen = append(s.seen, a)
		visit(a)
		if pe, ok := entities.Get(a); ok {
			for p := range pe.Parents.All() {
				s.queue = append(s.queue, p)
			}
		}
	}
}
