package parser

import (
	"math"
	"strconv"
	"strings"

	"github.com/ursa-authz/ursa/engine/ast"
)

// MaxDepth is the deepest expression nesting the parser accepts; deeper input
// is a syntax error (it protects the stack of this and later stages).
const MaxDepth = 1000

// ParseFile parses one policy source. The file is added to fset. The returned
// list holds errors and warnings (ast.SeverityWarning), sorted, one error per
// line at most (ast.ErrorList.RemoveMultiples). On errors the PolicyFile holds
// whatever parsed (recovery skips to the next ';' or '}' at depth 0).
func ParseFile(fset *ast.FileSet, filename string, src []byte) (*ast.PolicyFile, ast.ErrorList) {
	p := newParser(fset, filename, src)
	pf := &ast.PolicyFile{File: p.file}
	for p.tok.kind != tEOF && !p.errs.full() {
		if it := p.parseItemRecover(); it != nil {
			pf.Items = append(pf.Items, it)
		}
	}
	return pf, p.result()
}

// ParseQuery parses a query/goal expression (REPL input, Query API), e.g.
// `allow(x, "read", y)` or `x = 1 and y = 2`. A trailing ';' is allowed.
func ParseQuery(fset *ast.FileSet, name string, src string) (ast.Expr, ast.ErrorList) {
	return parseOne(fset, name, src, func(p *parser) ast.Expr {
		e := p.parseExpr()
		if p.tok.kind == tSemi {
			p.next()
		}
		return e
	})
}

// ParseTerm parses a single term (used by the CLI for --actor style inputs):
// a literal (negative numbers included), variable, list, dictionary, call,
// `new Class(...)` or a lookup chain on one of those; no operators.
func ParseTerm(fset *ast.FileSet, name string, src string) (ast.Expr, ast.ErrorList) {
	return parseOne(fset, name, src, (*parser).parseUnary)
}

// parseOne parses src with parse, which must consume the whole input.
func parseOne(fset *ast.FileSet, name string, src string, parse func(*parser) ast.Expr) (ast.Expr, ast.ErrorList) {
	p := newParser(fset, name, []byte(src))
	var e ast.Expr
	p.guard(func() {
		e = parse(p)
		p.expectEOF()
	})
	return e, p.result()
}

// bailout aborts parsing of the current item after its first syntax error.
type bailout struct{}

type parser struct {
	fset *ast.FileSet
	file *ast.File
	toks []token
	i    int   // index of tok in toks
	tok  token // current token
	prev token // previous token
	errs diags

	depth   int // expression nesting
	pattern int // > 0 while instance patterns are allowed (inside specializers)
}

func newParser(fset *ast.FileSet, filename string, src []byte) *parser {
	p := &parser{fset: fset}
	p.file = fset.AddFile(filename, src)
	p.errs = diags{fset: fset, file: p.file}
	p.toks = scanAll(fset, p.file, &p.errs)
	p.tok = p.toks[0]
	return p
}

func (p *parser) next() {
	p.prev = p.tok
	if p.i < len(p.toks)-1 {
		p.i++
	}
	p.tok = p.toks[p.i]
}

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) line(pos ast.Pos) int { return p.file.Position(pos).Line }

// --- diagnostics ---

func (p *parser) errorAt(pos ast.Pos, format string, args ...any) {
	p.errs.add(pos, ast.SeverityError, format, args...)
}

func (p *parser) warnAt(pos ast.Pos, format string, args ...any) {
	p.errs.add(pos, ast.SeverityWarning, format, args...)
}

// result returns the diagnostics, sorted, at most one error per line.
func (p *parser) result() ast.ErrorList {
	l := p.errs.list
	l.RemoveMultiples()
	return l
}

// fail reports an error at pos and abandons the current item.
func (p *parser) fail(pos ast.Pos, format string, args ...any) {
	p.errorAt(pos, format, args...)
	panic(bailout{})
}

// unexpected reports the current token as unexpected and abandons the item.
// An illegal token was already reported by the lexer, so it is not reported
// twice.
func (p *parser) unexpected(expected string) {
	if p.tok.kind == tIllegal {
		panic(bailout{})
	}
	if p.tok.kind != tEOF && p.prev.end.IsValid() && p.line(p.tok.pos) > p.line(p.prev.end) && p.restartItem() {
		// The statement is unfinished and a new one starts on the next line:
		// point at the end of the unfinished line.
		p.fail(p.prev.end, "expected %s, found %s on the next line", expected, p.tok.describe())
	}
	p.fail(p.tok.pos, "unexpected %s, expected %s", p.tok.describe(), expected)
}

func (p *parser) expect(k tokKind) token {
	if p.tok.kind != k {
		p.unexpected(strconv.Quote(punctText[k]))
	}
	t := p.tok
	p.next()
	return t
}

// expectSemi ends a rule, rule type, query or block declaration. If the
// ';' is missing and the next line starts a new statement (restart), the
// error points just after the previous token and parsing goes on with the
// next line, so one forgotten ';' yields one message.
func (p *parser) expectSemi(what string, restart func() bool) {
	if p.tok.kind == tSemi {
		p.next()
		return
	}
	if p.tok.kind == tIllegal {
		panic(bailout{})
	}
	if p.tok.kind == tEOF || (p.line(p.tok.pos) > p.line(p.prev.end) && restart()) {
		p.errorAt(p.prev.end, "expected \";\" after %s, found %s", what, p.tok.describe())
		return
	}
	p.unexpected(`";"`)
}

func (p *parser) expectEOF() {
	if p.tok.kind != tEOF {
		p.unexpected("end of input")
	}
}

// guard runs f, turning a bailout into a normal return.
func (p *parser) guard(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// sync skips the rest of a broken item or block declaration whose first
// token has index from. ';' only ever ends a statement in Polar, so sync
// stops just after the next ';'. It also stops before a '}' that closes a
// brace opened before from (consumed if consumeBrace), and before a token that
// starts a line and looks like the start of a new statement (restart), so a
// missing ';' or bracket does not swallow the next rule.
func (p *parser) sync(from int, consumeBrace bool, restart func() bool) {
	var stack []tokKind       // open brackets since from
	open := map[tokKind]int{} // how many of each kind are on stack
	// track updates stack for token kind k and reports whether k is a '}'
	// that closes no brace opened since from. A closer pops down to its
	// opener (closing brackets left open inside); one without an opener is
	// ignored. Amortized O(1) per token.
	track := func(k tokKind) (outerBrace bool) {
		var opener tokKind
		switch k {
		case tLParen, tLBrack, tLBrace:
			stack = append(stack, k)
			open[k]++
			return false
		case tRParen:
			opener = tLParen
		case tRBrack:
			opener = tLBrack
		case tRBrace:
			opener = tLBrace
		default:
			return false
		}
		if open[opener] == 0 {
			return k == tRBrace
		}
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			open[top]--
			if top == opener {
				return false
			}
		}
	}
	for i := from; i < p.i; i++ {
		track(p.toks[i].kind)
	}
	for p.tok.kind != tEOF {
		if p.i > from && p.line(p.tok.pos) > p.line(p.prev.end) && restart() {
			return
		}
		if track(p.tok.kind) {
			if consumeBrace {
				p.next()
			}
			return
		}
		switch p.tok.kind {
		case tSemi:
			p.next()
			return
		}
		p.next()
	}
}

// restartItem reports whether the current token, first on its line, starts a
// top-level item: `type`, `?=`, a block, or a rule head `name(` in column 1.
func (p *parser) restartItem() bool {
	switch p.tok.kind {
	case tType, tQuery:
		return true
	case tName:
		nt := p.peek(1)
		if (p.tok.text == "actor" || p.tok.text == "resource") && nt.kind == tName {
			return true
		}
		return nt.kind == tLParen && p.file.Position(p.tok.pos).Column == 1
	}
	return false
}

// restartDecl reports whether the current token, first on its line, starts a
// block declaration or a top-level item, or closes the block.
func (p *parser) restartDecl() bool {
	switch p.tok.kind {
	case tString, tRBrace:
		return true
	case tName:
		switch p.tok.text {
		case "roles", "permissions", "relations":
			if p.peek(1).kind == tUnify {
				return true
			}
		}
	}
	return p.restartItem()
}

// --- items ---

func (p *parser) parseItemRecover() ast.Item {
	var it ast.Item
	start := p.i
	if !p.guard(func() { it = p.parseItem() }) {
		p.depth, p.pattern = 0, 0
		if p.i == start && p.tok.kind != tEOF && p.tok.kind != tSemi && p.tok.kind != tRBrace {
			p.next() // always make progress
		}
		p.sync(start, true, p.restartItem)
		return nil
	}
	return it
}

func (p *parser) parseItem() ast.Item {
	switch p.tok.kind {
	case tType:
		return p.parseRuleType()
	case tQuery:
		at := p.tok.pos
		p.next()
		body := p.parseExpr()
		p.expectSemi("inline query", p.restartItem)
		return &ast.Query{At: at, Body: body}
	case tName:
		nt := p.peek(1)
		if (p.tok.text == "actor" || p.tok.text == "resource") && nt.kind == tName {
			return p.parseBlock()
		}
		if nt.kind == tLParen {
			return p.parseRule()
		}
		p.next()
		p.unexpected(`"("`)
	}
	p.unexpected("a rule, rule type, inline query (?=) or resource block")
	return nil
}

func (p *parser) parseRule() *ast.Rule {
	r := &ast.Rule{At: p.tok.pos, Name: p.tok.text, NamePos: p.tok.pos}
	p.next()
	r.Params = p.parseParams()
	if p.tok.kind == tIf {
		p.next()
		r.Body = p.parseExpr()
	}
	if p.tok.kind != tSemi && r.Body == nil && p.line(p.tok.pos) == p.line(p.prev.end) {
		if p.tok.kind == tColon && p.peek(1).kind == tMinus && p.peek(1).pos == p.tok.end {
			p.fail(p.tok.pos, "unexpected \":-\", expected \"if\" or \";\" (Polar writes rules as `head if body;`)")
		}
		p.unexpected(`"if" or ";"`)
	}
	p.expectSemi("rule", p.restartItem)
	return r
}

func (p *parser) parseRuleType() *ast.RuleType {
	rt := &ast.RuleType{At: p.tok.pos}
	p.next()
	if p.tok.kind != tName {
		p.unexpected("rule name")
	}
	rt.Name, rt.NamePos = p.tok.text, p.tok.pos
	p.next()
	rt.Params = p.parseParams()
	p.expectSemi("rule type", p.restartItem)
	return rt
}

// parseParams parses `( [param {, param}] )`.
func (p *parser) parseParams() []*ast.Param {
	var params []*ast.Param
	p.commaList(tLParen, tRParen, func() { params = append(params, p.parseParam()) })
	return params
}

// commaList parses `open [elem {, elem} [,]] close`, calling elem for each
// element.
func (p *parser) commaList(open, close tokKind, elem func()) {
	p.expect(open)
	for p.tok.kind != close {
		elem()
		if p.tok.kind != tComma {
			break
		}
		p.next()
	}
	if p.tok.kind != close {
		p.unexpected(strconv.Quote(",") + " or " + strconv.Quote(punctText[close]))
	}
	p.next()
}

func (p *parser) parseParam() *ast.Param {
	prm := &ast.Param{At: p.tok.pos}
	prm.Term = p.parseUnary()
	if p.tok.kind == tColon {
		p.next()
		prm.Spec = p.parseSpecializer()
	}
	return prm
}

// parseSpecializer parses what may follow `:` in a parameter or `matches`:
// a class name, an instance pattern Class{...}, a dictionary pattern {...} or
// a literal (string, number, boolean).
func (p *parser) parseSpecializer() ast.Expr {
	switch p.tok.kind {
	case tName:
		at, name := p.tok.pos, p.tok.text
		p.next()
		if p.tok.kind == tLBrace {
			p.pattern++
			fields := p.parseFields()
			p.pattern--
			return &ast.Pattern{At: at, Class: name, Fields: fields}
		}
		return &ast.ClassRef{At: at, Name: name}
	case tLBrace:
		at := p.tok.pos
		p.pattern++
		fields := p.parseFields()
		p.pattern--
		return &ast.Dict{At: at, Fields: fields}
	}
	switch p.tok.kind {
	case tString, tInt, tFloat, tInf, tNan, tTrue, tFalse:
		return p.parsePrimary()
	case tMinus:
		if k := p.peek(1).kind; k == tInt || k == tFloat || k == tInf || k == tNan {
			at := p.tok.pos
			p.next()
			return p.numberLit(at, true)
		}
	}
	p.unexpected("a class name, pattern or literal")
	return nil
}

// --- blocks ---

func (p *parser) parseBlock() *ast.Block {
	b := &ast.Block{At: p.tok.pos, Kind: ast.ActorBlock}
	if p.tok.text == "resource" {
		b.Kind = ast.ResourceBlock
	}
	p.next()
	b.Name, b.NamePos = p.tok.text, p.tok.pos
	p.next()
	open := p.expect(tLBrace)
	for p.tok.kind != tRBrace && p.tok.kind != tEOF {
		if p.restartItem() {
			// The closing brace was forgotten: report it once and let the
			// next item parse normally.
			p.errorAt(p.prev.end, "missing \"}\" to close %s block %q opened at %s; found %s",
				kindName(b.Kind), b.Name, p.fset.Position(open.pos), p.tok.describe())
			return b
		}
		start := p.i
		if !p.guard(func() { p.parseDecl(b) }) {
			p.depth, p.pattern = 0, 0
			if p.i == start && p.tok.kind != tSemi && p.tok.kind != tRBrace {
				p.next()
			}
			p.sync(start, false, p.restartDecl)
		}
	}
	if p.tok.kind == tEOF {
		p.errorAt(p.prev.end, "missing \"}\" to close %s block %q opened at %s; found end of input",
			kindName(b.Kind), b.Name, p.fset.Position(open.pos))
		return b
	}
	p.next()
	return b
}

func (p *parser) parseDecl(b *ast.Block) {
	switch p.tok.kind {
	case tString:
		p.parseShorthand(b)
		return
	case tName:
		kwTok := p.tok
		var at *ast.Pos
		switch kwTok.text {
		case "roles":
			at = &b.RolesAt
		case "permissions":
			at = &b.PermissionsAt
		case "relations":
			at = &b.RelationsAt
		default:
			p.unexpected(`"roles", "permissions", "relations" or a shorthand rule`)
		}
		p.next()
		p.expect(tUnify)
		dup := at.IsValid()
		if dup {
			p.errorAt(kwTok.pos, "duplicate %q declaration in %s block %q (first declared at %s)",
				kwTok.text, kindName(b.Kind), b.Name, p.fset.Position(*at))
		} else {
			*at = kwTok.pos
		}
		switch kwTok.text {
		case "roles", "permissions":
			list := p.parseStringList()
			if !dup && kwTok.text == "roles" {
				b.Roles = list
			} else if !dup {
				b.Permissions = list
			}
		case "relations":
			rels := p.parseRelations()
			if !dup {
				b.Relations = rels
			}
		}
		p.expectSemi(kwTok.text+" declaration", p.restartDecl)
		return
	}
	p.unexpected(`"roles", "permissions", "relations", a shorthand rule or "}"`)
}

func kindName(k ast.BlockKind) string {
	if k == ast.ActorBlock {
		return "actor"
	}
	return "resource"
}

func (p *parser) stringLit() *ast.StringLit {
	if p.tok.kind != tString {
		p.unexpected("a string")
	}
	s := &ast.StringLit{At: p.tok.pos, Value: p.tok.val}
	p.next()
	return s
}

func (p *parser) parseStringList() []*ast.StringLit {
	list := []*ast.StringLit{}
	p.commaList(tLBrack, tRBrack, func() { list = append(list, p.stringLit()) })
	return list
}

func (p *parser) parseRelations() []*ast.Relation {
	rels := []*ast.Relation{}
	p.commaList(tLBrace, tRBrace, func() {
		if !p.tok.kind.isWord() {
			p.unexpected("relation name")
		}
		r := &ast.Relation{At: p.tok.pos, Name: p.tok.text}
		p.next()
		p.expect(tColon)
		if p.tok.kind != tName {
			p.unexpected("class name")
		}
		r.Class, r.ClassPos = p.tok.text, p.tok.pos
		p.next()
		rels = append(rels, r)
	})
	return rels
}

func (p *parser) parseShorthand(b *ast.Block) {
	sh := &ast.Shorthand{At: p.tok.pos}
	sh.Head = p.stringLit()
	if p.tok.kind != tIf {
		p.unexpected(`"if"`)
	}
	p.next()
	sh.Body = p.stringLit()
	if p.tok.kind == tName && p.tok.text == "on" {
		p.next()
		sh.Relation = p.stringLit()
	}
	p.expectSemi("shorthand rule", p.restartDecl)
	b.Shorthands = append(b.Shorthands, sh)
}

// --- expressions ---

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.fail(p.tok.pos, "expression nested too deeply (more than %d levels)", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// parseExpr parses a full goal: or-level.
func (p *parser) parseExpr() ast.Expr {
	p.enter()
	defer p.leave()
	first := p.parseAnd()
	if p.tok.kind != tOr {
		return first
	}
	or := &ast.Or{At: startPos(first), Goals: []ast.Expr{first}}
	var orPos []ast.Pos
	for p.tok.kind == tOr {
		orPos = append(orPos, p.tok.pos)
		p.next()
		or.Goals = append(or.Goals, p.parseAnd())
	}
	for i, g := range or.Goals {
		if _, ok := g.(*ast.And); ok {
			pos := orPos[0]
			if i > 0 {
				pos = orPos[i-1]
			}
			p.warnAt(pos, "ambiguous precedence of `and` and `or`; add parentheses")
			break
		}
	}
	return or
}

// startPos returns the position of the first character of e (a Binary's
// At is its operator).
func startPos(e ast.Expr) ast.Pos {
	for {
		b, ok := e.(*ast.Binary)
		if !ok {
			return e.Pos()
		}
		e = b.L
	}
}

func (p *parser) parseAnd() ast.Expr {
	first := p.parseNot()
	if p.tok.kind != tAnd {
		return first
	}
	and := &ast.And{At: startPos(first), Goals: []ast.Expr{first}}
	for p.tok.kind == tAnd {
		p.next()
		and.Goals = append(and.Goals, p.parseNot())
	}
	return and
}

// parseNot parses `not goal` (`!` is accepted as an alias of `not`).
func (p *parser) parseNot() ast.Expr {
	if p.tok.kind == tNot || p.tok.kind == tBang {
		at := p.tok.pos
		p.next()
		p.enter()
		defer p.leave()
		return &ast.Not{At: at, Goal: p.parseNot()}
	}
	return p.parseUnify()
}

// binOp returns the binary operator of token kind k, or 0.
func binOp(k tokKind) ast.Op {
	switch k {
	case tUnify:
		return ast.OpUnify
	case tAssign:
		return ast.OpAssign
	case tEq:
		return ast.OpEq
	case tNeq:
		return ast.OpNeq
	case tLt:
		return ast.OpLt
	case tLeq:
		return ast.OpLeq
	case tGt:
		return ast.OpGt
	case tGeq:
		return ast.OpGeq
	case tPlus:
		return ast.OpAdd
	case tMinus:
		return ast.OpSub
	case tStar:
		return ast.OpMul
	case tSlash:
		return ast.OpDiv
	case tMod:
		return ast.OpMod
	case tRem:
		return ast.OpRem
	case tIn:
		return ast.OpIn
	case tMatches:
		return ast.OpMatches
	}
	return 0
}

// opAt returns the binary operator of the current token if it has
// precedence level, else 0.
func (p *parser) opAt(level int) ast.Op {
	op := binOp(p.tok.kind)
	if op == 0 || op.Precedence() != level {
		return 0
	}
	return op
}

// isInMatches reports whether e is an unparenthesized `in`/`matches`
// expression, which may only be an operand of not/and/or.
func isInMatches(e ast.Expr) bool {
	b, ok := e.(*ast.Binary)
	return ok && (b.Op == ast.OpIn || b.Op == ast.OpMatches)
}

// checkOperand rejects an `in`/`matches` expression as an operand of op.
func (p *parser) checkOperand(e ast.Expr, op ast.Op, opPos ast.Pos) {
	if isInMatches(e) {
		b := e.(*ast.Binary)
		p.fail(opPos, "cannot use the result of `%s` as an operand of %q; add parentheses", b.Op, op.String())
	}
}

// parseNonAssoc parses the non-associative levels 4 (= :=) and 5
// (comparisons).
func (p *parser) parseNonAssoc(level int) ast.Expr {
	sub := func() ast.Expr {
		if level == 4 {
			return p.parseNonAssoc(5)
		}
		return p.parseLeftAssoc(6)
	}
	l := sub()
	op := p.opAt(level)
	if op == 0 {
		return l
	}
	at := p.tok.pos
	p.checkOperand(l, op, at)
	p.next()
	r := sub()
	p.checkOperand(r, op, at)
	if op2 := p.opAt(level); op2 != 0 {
		p.fail(p.tok.pos, "operator %q cannot follow %q without parentheses (comparison operators do not chain)", op2.String(), op.String())
	}
	return &ast.Binary{At: at, Op: op, L: l, R: r}
}

func (p *parser) parseUnify() ast.Expr { return p.parseNonAssoc(4) }

// parseLeftAssoc parses levels 6 (+ -) and 7 (* / mod rem).
func (p *parser) parseLeftAssoc(level int) ast.Expr {
	sub := func() ast.Expr {
		if level == 6 {
			return p.parseLeftAssoc(7)
		}
		return p.parseIn()
	}
	l := sub()
	n := 0
	defer func() { p.depth -= n }()
	for {
		op := p.opAt(level)
		if op == 0 {
			return l
		}
		p.enter() // a chain builds a left-deep tree: count its depth
		n++
		at := p.tok.pos
		p.checkOperand(l, op, at)
		p.next()
		r := sub()
		p.checkOperand(r, op, at)
		l = &ast.Binary{At: at, Op: op, L: l, R: r}
	}
}

// parseIn parses `in` and `matches` (level 8, non-associative). Their
// operands are unary terms; the right side of `matches` is a specializer.
func (p *parser) parseIn() ast.Expr {
	l := p.parseUnary()
	op := p.opAt(8)
	if op == 0 {
		return l
	}
	at := p.tok.pos
	p.next()
	var r ast.Expr
	if op == ast.OpMatches {
		r = p.parseSpecializer()
	} else {
		r = p.parseUnary()
	}
	if op2 := p.opAt(8); op2 != 0 {
		p.fail(p.tok.pos, "operator %q cannot follow %q without parentheses", op2.String(), op.String())
	}
	return &ast.Binary{At: at, Op: op, L: l, R: r}
}

// parseUnary parses unary minus. A minus directly before a number literal
// folds into the literal; on anything else it yields ast.Neg.
func (p *parser) parseUnary() ast.Expr {
	if p.tok.kind != tMinus {
		return p.parsePostfix(nil)
	}
	at := p.tok.pos
	switch p.peek(1).kind {
	case tInt, tFloat, tInf, tNan:
		p.next()
		lit := p.numberLit(at, true)
		return p.parsePostfix(lit)
	}
	p.next()
	p.enter()
	defer p.leave()
	return &ast.Neg{At: at, X: p.parseUnary()}
}

// numberLit converts the current number token (negated if neg) to a literal
// at position at.
func (p *parser) numberLit(at ast.Pos, neg bool) ast.Expr {
	t := p.tok
	p.next()
	switch t.kind {
	case tInf:
		if neg {
			return &ast.FloatLit{At: at, Value: math.Inf(-1)}
		}
		return &ast.FloatLit{At: at, Value: math.Inf(1)}
	case tNan:
		return &ast.FloatLit{At: at, Value: math.NaN()}
	case tFloat:
		text := t.text
		if neg {
			text = "-" + text
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			p.errorAt(t.pos, "invalid float literal %s", t.text)
		}
		return &ast.FloatLit{At: at, Value: v}
	}
	text := t.text
	if neg {
		text = "-" + text
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.errorAt(at, "integer literal %s overflows int64 (range %d to %d)", text, int64(math.MinInt64), int64(math.MaxInt64))
	}
	return &ast.IntLit{At: at, Value: v}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parsePostfix parses a primary (or continues from x) followed by lookups:
// .name, .name(args), .(key).
func (p *parser) parsePostfix(x ast.Expr) ast.Expr {
	if x == nil {
		x = p.parsePrimary()
	}
	n := 0
	defer func() { p.depth -= n }()
	for p.tok.kind == tDot {
		p.enter() // a chain builds a left-deep tree: count its depth
		n++
		p.next()
		d := &ast.Dot{At: x.Pos(), X: x, NamePos: p.tok.pos}
		switch {
		case p.tok.kind == tLParen:
			p.next()
			d.Key = p.parseExpr()
			p.expect(tRParen)
		case p.tok.kind.isWord():
			d.Name = p.tok.text
			p.next()
			if p.tok.kind == tLParen {
				d.IsCall = true
				d.Args, d.Kwargs = p.parseArgs(true)
			}
		default:
			p.unexpected(`field or method name, or "(" after "."`)
		}
		x = d
	}
	return x
}

func (p *parser) parsePrimary() ast.Expr {
	t := p.tok
	switch t.kind {
	case tName:
		p.next()
		switch p.tok.kind {
		case tLParen:
			args, kwargs := p.parseArgs(true)
			return &ast.Call{At: t.pos, Name: t.text, Args: args, Kwargs: kwargs}
		case tLBrace:
			if p.pattern == 0 {
				p.errorAt(t.pos, "instance patterns are only allowed in specializers and after `matches`")
			}
			return &ast.Pattern{At: t.pos, Class: t.text, Fields: p.parseFields()}
		}
		return &ast.Var{At: t.pos, Name: t.text}
	case tInt, tFloat, tInf, tNan:
		return p.numberLit(t.pos, false)
	case tString:
		p.next()
		return &ast.StringLit{At: t.pos, Value: t.val}
	case tTrue, tFalse:
		p.next()
		return &ast.BoolLit{At: t.pos, Value: t.kind == tTrue}
	case tLBrack:
		return p.parseList()
	case tLBrace:
		return &ast.Dict{At: t.pos, Fields: p.parseFields()}
	case tLParen:
		p.next()
		x := p.parseExpr()
		p.expect(tRParen)
		return &ast.Paren{At: t.pos, X: x}
	case tNew:
		p.next()
		if p.tok.kind != tName {
			p.unexpected("class name after \"new\"")
		}
		n := &ast.New{At: t.pos, Class: p.tok.text}
		p.next()
		if p.tok.kind != tLParen {
			p.unexpected(`"(" after class name in "new"`)
		}
		n.Args, n.Kwargs = p.parseArgs(true)
		return n
	case tForall:
		p.next()
		p.expect(tLParen)
		f := &ast.Forall{At: t.pos, Cond: p.parseExpr()}
		p.expect(tComma)
		f.Action = p.parseExpr()
		p.expect(tRParen)
		return f
	case tPrint:
		p.next()
		args, _ := p.parseArgs(false)
		return &ast.Print{At: t.pos, Args: args}
	case tDebug:
		p.next()
		args, _ := p.parseArgs(false)
		return &ast.Debug{At: t.pos, Args: args}
	case tCut:
		p.next()
		return &ast.Cut{At: t.pos}
	}
	p.unexpected("a term")
	return nil
}

// parseArgs parses `( args )`; keyword arguments `key: v` are allowed if
// kw, and must come after the positional ones.
func (p *parser) parseArgs(kw bool) ([]ast.Expr, []*ast.Field) {
	var args []ast.Expr
	var kwargs []*ast.Field
	p.commaList(tLParen, tRParen, func() {
		if p.tok.kind.isWord() && p.peek(1).kind == tColon {
			if !kw {
				p.fail(p.tok.pos, "keyword arguments are not allowed here")
			}
			f := &ast.Field{At: p.tok.pos, Key: p.tok.text}
			p.next()
			p.next()
			f.Value = p.parseExpr()
			kwargs = append(kwargs, f)
			return
		}
		at := p.tok.pos
		e := p.parseExpr()
		if len(kwargs) > 0 {
			p.errorAt(at, "positional argument after keyword argument")
		}
		args = append(args, e)
	})
	return args, kwargs
}

// parseFields parses `{ field, ... }` for dictionaries and patterns. A field
// is `key: value` or the shorthand `name` meaning `name: name`.
func (p *parser) parseFields() []*ast.Field {
	var fields []*ast.Field
	p.commaList(tLBrace, tRBrace, func() {
		if !p.tok.kind.isWord() {
			p.unexpected(`field name or "}"`)
		}
		f := &ast.Field{At: p.tok.pos, Key: p.tok.text}
		p.next()
		if p.tok.kind == tColon {
			p.next()
			f.Value = p.parseExpr()
		} else if p.prev.kind == tName && !strings.Contains(f.Key, "::") {
			f.Value = &ast.Var{At: f.At, Name: f.Key}
		} else {
			p.unexpected(`":"`)
		}
		fields = append(fields, f)
	})
	return fields
}

// parseList parses `[a, b, *rest]`.
func (p *parser) parseList() ast.Expr {
	l := &ast.List{At: p.tok.pos}
	p.commaList(tLBrack, tRBrack, func() {
		if l.Rest != nil {
			p.unexpected(`"]" (the rest variable must come last)`)
		}
		if p.tok.kind != tStar {
			l.Elems = append(l.Elems, p.parseExpr())
			return
		}
		p.next()
		if p.tok.kind != tName {
			p.unexpected("variable name after \"*\"")
		}
		l.Rest = &ast.Var{At: p.tok.pos, Name: p.tok.text}
		p.next()
	})
	return l
}
