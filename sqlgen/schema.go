package sqlgen

// Schema maps Polar types to tables. It is the contract between sqlgen and the
// places schemas come from (Go declarations, `db` struct tags, GORM models,
// a live database).
//
// Field and relation keys are the canonical names used in the filter IR: the
// Go struct field name (e.g. "OrgID", "Org"). Lookups also accept the
// snake_case column-style alias, so a schema declared by hand can use either.
type Schema struct {
	Tables map[string]*Table // by Polar type name
}

// Table describes one Polar type's table.
type Table struct {
	Type      string               // Polar type name
	Name      string               // table name, possibly schema-qualified ("app.repos")
	PK        []string             // primary key columns (composite allowed)
	Fields    map[string]string    // field name -> column name
	Nullable  map[string]bool      // column name -> may hold NULL (absent = unknown, treat as nullable)
	Relations map[string]*Relation // relation field name -> relation
}

// RelKind is the kind of a relation.
type RelKind int

const (
	BelongsTo  RelKind = iota + 1 // FK on this table -> Target's key
	HasOne                        // FK on Target's table -> this table's key
	HasMany                       // FK on Target's table -> this table's key (to-many)
	ManyToMany                    // through JoinTable (to-many)
)

// Relation is a relation from one table to another (possibly the same).
type Relation struct {
	Name   string
	Kind   RelKind
	Target string // Polar type name of the related table

	// BelongsTo: ForeignKey are columns on this table, References columns on Target.
	// HasOne/HasMany: ForeignKey are columns on Target, References columns on this table.
	ForeignKey []string
	References []string

	// ManyToMany: JoinTable holds JoinForeignKey (-> this table's References)
	// and JoinReferences (-> Target's TargetReferences).
	JoinTable        string
	JoinForeignKey   []string
	JoinReferences   []string
	TargetReferences []string

	// Enforced says the database guarantees that the relation's keys point
	// at existing rows (a foreign-key constraint, never a deleted target):
	// for a BelongsTo, a non-NULL ForeignKey always has its Target row; for
	// a ManyToMany, the join table's JoinReferences always have theirs.
	// Only then does sqlgen answer from the keys alone (resource.Org.ID,
	// resource.Org == nil and many-to-many key tests read no target row).
	// Default false: a key may dangle, and the decision sees a dangling
	// relation as nil, so sqlgen checks that the row exists. Set it only
	// when the schema really enforces the reference; it is never guessed.
	// (HasOne and HasMany always read the Target's rows and ignore it.)
	Enforced bool
}

// ToMany reports whether the relation can relate one row to many.
func (r *Relation) ToMany() bool { return r.Kind == HasMany || r.Kind == ManyToMany }
