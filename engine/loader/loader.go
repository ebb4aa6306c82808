package loader

import (
	"strconv"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Classes tells the loader about classes known to the host (the VM implements it).
type Classes interface {
	// Known reports whether name is a class usable in specializers: registered Go
	// types and the built-ins Boolean, Integer, Float, String, List, Dictionary.
	// (Actor and Resource are handled by the loader itself from the blocks.)
	Known(name string) bool
	// Subclass reports whether sub equals super or is a subclass of it
	// (embeds or implements it). Used for rule-type checks.
	Subclass(sub, super string) bool
}

// Constants is optionally implemented by a Classes that also knows the
// host's registered constants; a name that is a constant is not a variable,
// so it never draws a singleton-variable warning. (nil is always a constant.)
type Constants interface {
	Constant(name string) (any, bool)
}

// Program is a loaded, checked and expanded policy.
type Program struct {
	Fset      *ast.FileSet
	Files     []*ast.PolicyFile
	Preds     map[string]*Pred           // by Key(name, arity)
	RuleTypes map[string][]*ast.RuleType // by rule name; built-in types included
	Queries   []*ast.Query               // inline ?= queries, in load order (the VM runs them)
	Blocks    map[string]*Block          // by class name; merged across repeated blocks
	Warnings  ast.ErrorList

	actors, resources map[string]bool
}

// Pred is a predicate: the rules of one name and arity.
type Pred struct {
	Name  string
	Arity int
	Rules []*ast.Rule // in source order; expanded shorthand rules appear where their block is
}

// Block is the merged declaration of one actor or resource class.
type Block struct {
	Kind        ast.BlockKind // kind of the first declaration
	Class       string
	Roles       []string
	Permissions []string
	Relations   map[string]string // relation name -> class name
	Decl        *ast.Block        // first declaration, for positions
}

// Key returns the predicate key "name/arity".
func Key(name string, arity int) string { return name + "/" + strconv.Itoa(arity) }

// Pred returns the predicate name/arity, or nil when it has no rules.
func (p *Program) Pred(name string, arity int) *Pred {
	if p == nil {
		return nil
	}
	return p.Preds[Key(name, arity)]
}

// IsActor reports whether class is declared in an actor block.
func (p *Program) IsActor(class string) bool { return p != nil && p.actors[class] }

// IsResource reports whether class is declared in a resource block.
func (p *Program) IsResource(class string) bool { return p != nil && p.resources[class] }

// Built-in class names.
const (
	ActorUnion    = "Actor"
	ResourceUnion = "Resource"
)

// builtinClasses are the classes every host knows (used when Classes is nil).
var builtinClasses = []string{"Boolean", "Integer", "Float", "String", "List", "Dictionary"}

// Load expands and checks. It returns the Program and a list of errors and
// warnings (sorted; warnings also stored in Program.Warnings). With any error
// the Program must not be used.
func Load(fset *ast.FileSet, files []*ast.PolicyFile, classes Classes) (*Program, ast.ErrorList) {
	l := newLoader(fset, files, classes)
	l.run()
	l.diags.Sort()
	l.prog.Warnings = l.diags.Warnings()
	return l.prog, l.diags
}
