use Entity::{Experiments, LoggedModels, Models, Runs, Versions};

use super::*;

pub(super) fn cmp(field: Field, op: Op, value: Value) -> Expr {
    Expr::Cmp { field, op, value }
}

pub(super) fn s(v: &str) -> Value {
    Value::Str(v.into())
}

pub(super) fn tag(k: &str) -> Field {
    Field::Tag(k.into())
}

pub(super) fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| s.to_string()).collect())
}

pub(super) fn ok(input: &str, entity: Entity) -> Expr {
    match parse(input, entity) {
        Ok(Some(e)) => e,
        other => panic!("{input:?} should parse, got {other:?}"),
    }
}

pub(super) fn message(input: &str, entity: Entity) -> String {
    match parse(input, entity) {
        Err(e) => {
            assert_eq!(e.field.as_deref(), Some("filter"));
            assert!(e.is(crate::error::ErrorKind::InvalidArgument));
            e.message
        }
        Ok(other) => panic!("{input:?} should fail, got {other:?}"),
    }
}

#[test]
fn empty_or_blank_is_no_filter() {
    for input in ["", " ", "\t\n  "] {
        assert_eq!(parse(input, Models).unwrap(), None);
    }
}

#[test]
fn parses_every_clause_form() {
    let a = || cmp(Field::Name, Op::Eq, s("a"));
    let cases: Vec<(&str, Entity, Expr)> = vec![
        ("name = 'a'", Models, a()),
        ("name='a'", Models, a()),
        ("name = \"a\"", Models, a()),
        ("`name` = 'a'", Models, a()),
        ("NAME = 'a'", Models, a()),
        ("name != 'a'", Models, cmp(Field::Name, Op::Ne, s("a"))),
        ("name LIKE 'a%'", Models, cmp(Field::Name, Op::Like, s("a%"))),
        ("name like 'a%'", Models, cmp(Field::Name, Op::Like, s("a%"))),
        ("name ILIKE '%A_'", Models, cmp(Field::Name, Op::ILike, s("%A_"))),
        ("name iLike '%A_'", Models, cmp(Field::Name, Op::ILike, s("%A_"))),
        ("name IN ('a', \"b\")", Models, cmp(Field::Name, Op::In, list(&["a", "b"]))),
        ("name in ('a',)", Models, cmp(Field::Name, Op::In, list(&["a"]))),
        ("name NOT IN ('a')", Models, cmp(Field::Name, Op::NotIn, list(&["a"]))),
        ("name not  in('a','b')", Models, cmp(Field::Name, Op::NotIn, list(&["a", "b"]))),
        ("tags.team = 'risk'", Models, cmp(tag("team"), Op::Eq, s("risk"))),
        ("tag.team = 'risk'", Models, cmp(tag("team"), Op::Eq, s("risk"))),
        ("TAGS.team = 'risk'", Models, cmp(tag("team"), Op::Eq, s("risk"))),
        ("tags.`mlflow.prompt.is_prompt` != 'true'", Models, cmp(tag("mlflow.prompt.is_prompt"), Op::Ne, s("true"))),
        ("tags.mlflow.prompt.is_prompt != 'true'", Models, cmp(tag("mlflow.prompt.is_prompt"), Op::Ne, s("true"))),
        ("tags.'a b' = 'x'", Models, cmp(tag("a b"), Op::Eq, s("x"))),
        ("tag.\"a`b\" = 'x'", Models, cmp(tag("a`b"), Op::Eq, s("x"))),
        ("tags.1k = 'x'", Models, cmp(tag("1k"), Op::Eq, s("x"))),
        ("tags.ключ = 'знач'", Models, cmp(tag("ключ"), Op::Eq, s("знач"))),
        ("tags.AND = 'x'", Models, cmp(tag("AND"), Op::Eq, s("x"))),
        ("tags.k LIKE '%x'", Models, cmp(tag("k"), Op::Like, s("%x"))),
        ("tags.k ILIKE '%x'", Versions, cmp(tag("k"), Op::ILike, s("%x"))),
        ("tags.k IN ('x', 'y')", Versions, cmp(tag("k"), Op::In, list(&["x", "y"]))),
        ("version_number = 3", Versions, cmp(Field::VersionNumber, Op::Eq, Value::Int(3))),
        ("version_number = '3'", Versions, cmp(Field::VersionNumber, Op::Eq, Value::Int(3))),
        ("version_number != -1", Versions, cmp(Field::VersionNumber, Op::Ne, Value::Int(-1))),
        ("version_number < 3", Versions, cmp(Field::VersionNumber, Op::Lt, Value::Int(3))),
        ("version_number<=3", Versions, cmp(Field::VersionNumber, Op::Le, Value::Int(3))),
        ("version_number > 3", Versions, cmp(Field::VersionNumber, Op::Gt, Value::Int(3))),
        ("version_number >= 3", Versions, cmp(Field::VersionNumber, Op::Ge, Value::Int(3))),
        ("run_id = 'r1'", Versions, cmp(Field::RunId, Op::Eq, s("r1"))),
        ("run_id IN ('r1', 'r2')", Versions, cmp(Field::RunId, Op::In, list(&["r1", "r2"]))),
        ("run_id NOT IN ('r1')", Versions, cmp(Field::RunId, Op::NotIn, list(&["r1"]))),
        ("source_path LIKE 's3://%'", Versions, cmp(Field::SourcePath, Op::Like, s("s3://%"))),
        ("`source_path` = 'x'", Versions, cmp(Field::SourcePath, Op::Eq, s("x"))),
        ("name = 'a.b.c'", Versions, cmp(Field::Name, Op::Eq, s("a.b.c"))),
    ];
    for (input, entity, want) in cases {
        assert_eq!(ok(input, entity), want, "{input}");
    }
}

#[test]
fn unescapes_strings() {
    let cases = [
        (r"tags.k = 'it''s'", "it's"),
        (r"tags.k = 'it\'s'", "it's"),
        (r#"tags.k = "say ""hi""""#, r#"say "hi""#),
        (r#"tags.k = "say \"hi\"""#, r#"say "hi""#),
        (r"tags.k = 'a\\b'", r"a\b"),
        (r"tags.k = 'C:\models\x'", r"C:\models\x"),
        (r#"tags.k = 'a"b'"#, r#"a"b"#),
        ("tags.k = ''", ""),
        ("tags.k = 'ünï 😀 \n x'", "ünï 😀 \n x"),
    ];
    for (input, want) in cases {
        assert_eq!(ok(input, Models), cmp(tag("k"), Op::Eq, s(want)), "{input}");
    }
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_group() {
    let c = |v: &str| cmp(tag(v), Op::Eq, s(v));
    let input = "tags.a = 'a' OR tags.b = 'b' AND tags.c = 'c'";
    assert_eq!(ok(input, Models), Expr::Or(vec![c("a"), Expr::And(vec![c("b"), c("c")])]));
    let input = "tags.a = 'a' and tags.b = 'b' or tags.c = 'c'";
    assert_eq!(ok(input, Models), Expr::Or(vec![Expr::And(vec![c("a"), c("b")]), c("c")]));
    let input = "(tags.a = 'a' OR tags.b = 'b') AND tags.c = 'c'";
    assert_eq!(ok(input, Models), Expr::And(vec![Expr::Or(vec![c("a"), c("b")]), c("c")]));
    let input = "tags.a = 'a' AND tags.b = 'b' AND tags.c = 'c'";
    assert_eq!(ok(input, Models), Expr::And(vec![c("a"), c("b"), c("c")]));
    let input = "((tags.a = 'a'))";
    assert_eq!(ok(input, Models), c("a"));
    let input = "(tags.a = 'a' AND tags.b = 'b') AND tags.c = 'c'";
    assert_eq!(ok(input, Models), Expr::And(vec![Expr::And(vec![c("a"), c("b")]), c("c")]));
    let input = "tags.a = 'a' Or (tags.b = 'b' oR tags.c = 'c')";
    assert_eq!(ok(input, Models), Expr::Or(vec![c("a"), Expr::Or(vec![c("b"), c("c")])]));
}

#[test]
fn errors_name_the_position() {
    let cases: Vec<(&str, Entity, &str)> = vec![
        ("name = ", Models, "Invalid filter at position 8: expected a value after '='."),
        ("tags.k = 'v' AND name =", Models, "Invalid filter at position 24: expected a value after '='."),
        ("name = x", Models, "Invalid filter at position 8: expected a quoted string after '=', found 'x'."),
        ("name = 'x", Models, "Invalid filter at position 8: the string starting with ' is not closed."),
        ("tags.`k = 'x'", Models, "Invalid filter at position 6: the name starting with ` is not closed."),
        (
            "run_id = 'x'",
            Models,
            "Invalid filter at position 1: 'run_id' is not a field of registered models; the fields are name, tags.<key>.",
        ),
        (
            "owner = 'x'",
            Versions,
            "Invalid filter at position 1: unknown field 'owner'; the fields are name, version_number, run_id, source_path, tags.<key>.",
        ),
        (
            "params.k = 'x'",
            Versions,
            "Invalid filter at position 1: unknown field prefix 'params'; tags are written tags.<key>.",
        ),
        ("tags = 'x'", Models, "Invalid filter at position 1: expected '.' and a tag key after 'tags'."),
        ("tags.`` = 'x'", Models, "Invalid filter at position 6: the tag key must not be empty."),
        ("tags. = 'x'", Models, "Invalid filter at position 7: expected a tag key after 'tags.', found '='."),
        ("tags.a. = 'x'", Models, "Invalid filter at position 9: expected the rest of the tag key after '.'."),
        ("name == 'x'", Models, "Invalid filter at position 7: expected a quoted string after '=', found '='."),
        ("name <> 'x'", Models, "Invalid filter at position 6: '<' applies only to version_number."),
        ("name < 'x'", Models, "Invalid filter at position 6: '<' applies only to version_number."),
        (
            "name 'x'",
            Models,
            "Invalid filter at position 6: expected a comparison (=, !=, LIKE, ILIKE, IN, NOT IN) after name, found the string 'x'.",
        ),
        (
            "name",
            Models,
            "Invalid filter at position 5: expected a comparison (=, !=, LIKE, ILIKE, IN, NOT IN) after name, found the end of the filter.",
        ),
        ("name NOT LIKE 'x'", Models, "Invalid filter at position 6: expected IN after NOT."),
        ("name IN 'x'", Models, "Invalid filter at position 9: expected a list such as ('a', 'b') after IN."),
        ("name IN ()", Models, "Invalid filter at position 10: the list must not be empty."),
        (
            "name IN ('a' 'b')",
            Models,
            "Invalid filter at position 14: expected ',' or ')' in the list, found the string 'b'.",
        ),
        ("name IN ('a', 1)", Models, "Invalid filter at position 15: expected a quoted string in the list, found '1'."),
        ("name IN ('a'", Models, "Invalid filter at position 13: expected ')' to close the list at position 9."),
        (
            "version_number LIKE '1'",
            Versions,
            "Invalid filter at position 16: version_number can be compared only with =, !=, <, <=, > or >=.",
        ),
        (
            "version_number IN ('1')",
            Versions,
            "Invalid filter at position 16: version_number can be compared only with =, !=, <, <=, > or >=.",
        ),
        (
            "version_number = 1.5",
            Versions,
            "Invalid filter at position 18: version_number must be compared with an integer, found '1.5'.",
        ),
        (
            "version_number = 'one'",
            Versions,
            "Invalid filter at position 18: version_number must be compared with an integer, found the string 'one'.",
        ),
        (
            "version_number = 99999999999999999999",
            Versions,
            "Invalid filter at position 18: version_number must be compared with an integer, found '99999999999999999999'.",
        ),
        ("version_number = (", Versions, "Invalid filter at position 18: expected an integer after '=', found '('."),
        ("name = 'a' AND", Models, "Invalid filter at position 15: expected a field (name, tags.<key>) here."),
        (
            "name = 'a' OR OR name = 'b'",
            Models,
            "Invalid filter at position 15: unknown field 'OR'; the fields are name, tags.<key>.",
        ),
        (
            "name = 'a' name = 'b'",
            Models,
            "Invalid filter at position 12: expected AND, OR or the end of the filter, found 'name'.",
        ),
        ("name = 'a')", Models, "Invalid filter at position 11: this ')' has no matching '('."),
        ("(name = 'a'", Models, "Invalid filter at position 12: expected ')' to close the '(' at position 1."),
        (
            "(name = 'a' name",
            Models,
            "Invalid filter at position 13: expected ')' to close the '(' at position 1, found 'name'.",
        ),
        ("()", Models, "Invalid filter at position 2: expected a field (name, tags.<key>), found ')'."),
        ("name = 'a' & name = 'b'", Models, "Invalid filter at position 12: unexpected character '&'."),
        ("name ! 'a'", Models, "Invalid filter at position 6: unexpected character '!'."),
        (
            "name = 'é' AND naïve = 'x'",
            Models,
            "Invalid filter at position 16: unknown field 'naïve'; the fields are name, tags.<key>.",
        ),
        ("naïve = 'x' 😀", Models, "Invalid filter at position 13: unexpected character '😀'."),
        ("name = 'a'\u{0}", Models, "Invalid filter at position 11: unexpected character U+0000."),
    ];
    for (input, entity, want) in cases {
        assert_eq!(message(input, entity), want, "{input}");
    }
}

#[test]
fn enforces_the_limits() {
    let at_limit = format!("tags.k = '{}'", "x".repeat(MAX_FILTER_LEN - 11));
    assert_eq!(at_limit.chars().count(), MAX_FILTER_LEN);
    assert!(parse(&at_limit, Models).is_ok());
    let too_long = format!("tags.k = '{}'", "é".repeat(MAX_FILTER_LEN));
    assert_eq!(
        message(&too_long, Models),
        "Invalid filter at position 4097: a filter may be at most 4096 characters long."
    );

    let nested = |n: usize| format!("{}name = 'a'{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(ok(&nested(MAX_DEPTH), Models), cmp(Field::Name, Op::Eq, s("a")));
    assert_eq!(
        message(&nested(MAX_DEPTH + 1), Models),
        "Invalid filter at position 33: parentheses may be nested at most 32 deep."
    );

    let clauses = |n: usize| vec!["name = 'a'"; n].join(" OR ");
    assert!(parse(&clauses(MAX_CLAUSES), Models).is_ok());
    let msg = message(&clauses(MAX_CLAUSES + 1), Models);
    assert_eq!(msg, format!("Invalid filter at position {}: a filter may hold at most 100 conditions.", 100 * 14 + 1));
}

#[test]
fn prints_filters_that_parse_back() {
    let cases = [
        "name = 'a' AND (tags.k = 'x' OR tags.`a b` != 'it''s')",
        "(tags.a = 'a' AND tags.b = 'b') AND version_number >= -3",
        "run_id NOT IN ('a', 'b\\\\c') OR source_path LIKE '%x_' AND name ILIKE 'Y'",
    ];
    for input in cases {
        let e = ok(input, Versions);
        assert_eq!(e.to_filter_string(), input);
        assert_eq!(ok(&e.to_string(), Versions), e);
    }
    assert_eq!(cmp(tag("a`b"), Op::Eq, s("x")).to_string(), "tags.'a`b' = 'x'");
}

// ---------------------------------------------------------------------------------------------
// Property-style tests with a small deterministic generator (no extra dependencies).

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn unicode(&mut self) -> char {
        loop {
            let raw = match self.below(4) {
                0 => self.below(0x80) as u32,
                1 => self.below(0x800) as u32,
                2 => 0x1F300 + self.below(0x300) as u32,
                _ => self.below(0x110000) as u32,
            };
            if let Some(c) = char::from_u32(raw) {
                return c;
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "name",
    "tags",
    "tag",
    "TAGS",
    ".",
    "`",
    "'",
    "\"",
    "\\",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "!",
    "<",
    "<=",
    ">",
    ">=",
    "<>",
    "AND",
    "and",
    "OR",
    "or",
    "NOT",
    "IN",
    "in",
    "LIKE",
    "ILIKE",
    "version_number",
    "run_id",
    "source_path",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "-",
    "1",
    "42",
    "-7",
    "99999999999999999999",
    "%",
    "_",
    "é",
    "😀",
    "\u{0}",
    "\u{200B}",
    "İ",
    "ß",
    "mlflow.prompt.is_prompt",
    "'x'",
    "\"y\"",
    "`k`",
    "''",
    "'it''s'",
    "'a\\'b'",
    "('a', 'b')",
    "1.5",
    "metrics.acc",
    "params.`a b`",
    "attributes.status",
    "-2.5e-3",
    "1e999",
];

fn random_input(rng: &mut XorShift) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(24) {
        if rng.below(5) == 0 {
            out.push(rng.unicode());
        } else {
            out.push_str(rng.pick(TOKENS));
        }
    }
    out
}

/// A random edit of a valid filter, so that the fuzzing also reaches deep into the parser.
fn mutate(rng: &mut XorShift, valid: &str) -> String {
    let mut chars: Vec<char> = valid.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => chars.insert(at, rng.unicode()),
            _ => {
                for (n, c) in rng.pick(TOKENS).chars().enumerate() {
                    chars.insert(at + n, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn random_text(rng: &mut XorShift, max: usize) -> String {
    const PIECES: &[&str] =
        &["a", "Z", "0", "_", "%", ".", " ", "'", "\"", "`", "\\", "/", "(", ")", ",", "é", "😀", "-"];
    (0..rng.below(max + 1))
        .map(|_| if rng.below(6) == 0 { rng.unicode().to_string() } else { rng.pick(PIECES).to_string() })
        .collect()
}

fn random_key(rng: &mut XorShift) -> String {
    loop {
        let key = random_text(rng, 8);
        if !key.is_empty() {
            break key;
        }
    }
}

fn random_run_cmp(rng: &mut XorShift, models: bool) -> Expr {
    let field = match rng.below(4) {
        0 => Field::Metric(random_key(rng)),
        1 => Field::Param(random_key(rng)),
        2 => Field::Tag(random_key(rng)),
        _ if models => Field::ModelAttr(rng.pick(&ModelAttr::ALL)),
        _ if rng.below(4) == 0 => Field::Dataset(rng.pick(&DatasetAttr::ALL)),
        _ => Field::Attr(rng.pick(&RunAttr::ALL)),
    };
    let numeric = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
    match &field {
        Field::Metric(_) => {
            let n = match rng.below(4) {
                0 => f64::from_bits(rng.next()),
                1 => rng.pick(&[0.0, -0.5, 1e-7, 1e300, f64::MAX, f64::MIN_POSITIVE]),
                2 => rng.below(1000) as f64 / 7.0,
                _ => -(rng.below(100) as f64),
            };
            let n = if n.is_finite() { n } else { 1.0 };
            cmp(field, rng.pick(&numeric), Value::Num(n))
        }
        Field::Attr(a) if a.is_time() => cmp(field, rng.pick(&numeric), Value::Int(rng.next() as i64)),
        Field::ModelAttr(a) if a.is_time() => cmp(field, rng.pick(&numeric), Value::Int(rng.next() as i64)),
        _ => {
            let op = rng.pick(&[Op::Eq, Op::Ne, Op::Like, Op::ILike, Op::In, Op::NotIn]);
            let value = match op {
                Op::In | Op::NotIn => Value::List((0..1 + rng.below(3)).map(|_| random_text(rng, 6)).collect()),
                _ => Value::Str(random_text(rng, 10)),
            };
            cmp(field, op, value)
        }
    }
}

fn random_cmp(rng: &mut XorShift, entity: Entity) -> Expr {
    let fields = match entity {
        Runs => return random_run_cmp(rng, false),
        LoggedModels => return random_run_cmp(rng, true),
        Experiments | Models => 2,
        Versions => 5,
    };
    let field = match rng.below(fields) {
        0 => Field::Name,
        1 => loop {
            let key = random_text(rng, 8);
            if !key.is_empty() {
                break Field::Tag(key);
            }
        },
        2 => Field::VersionNumber,
        3 => Field::RunId,
        _ => Field::SourcePath,
    };
    if field == Field::VersionNumber {
        let op = rng.pick(&[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge]);
        let n = match rng.below(3) {
            0 => rng.next() as i64,
            1 => rng.pick(&[i64::MIN, i64::MAX, 0, -1]),
            _ => rng.below(100) as i64,
        };
        return cmp(field, op, Value::Int(n));
    }
    let op = rng.pick(&[Op::Eq, Op::Ne, Op::Like, Op::ILike, Op::In, Op::NotIn]);
    let value = match op {
        Op::In | Op::NotIn => Value::List((0..1 + rng.below(3)).map(|_| random_text(rng, 6)).collect()),
        _ => Value::Str(random_text(rng, 10)),
    };
    cmp(field, op, value)
}

fn random_expr(rng: &mut XorShift, entity: Entity, depth: usize) -> Expr {
    if depth == 0 || rng.below(3) == 0 {
        return random_cmp(rng, entity);
    }
    let items = (0..2 + rng.below(2)).map(|_| random_expr(rng, entity, depth - 1)).collect();
    if rng.below(2) == 0 { Expr::And(items) } else { Expr::Or(items) }
}

/// Checks everything that must hold for any input; returns whether it parsed.
fn check_any_input(input: &str, entity: Entity) -> bool {
    let outcome = std::panic::catch_unwind(|| match parse(input, entity) {
        Ok(Some(e)) => {
            let mut params = Vec::new();
            let sql = to_surql(&e, entity, &mut params);
            assert!(!sql.contains('\'') && !sql.contains('"'), "a value leaked into {sql:?} from {input:?}");
            assert_eq!(sql.matches("$f").count(), params.len(), "{sql}");
            assert_eq!(parse(&e.to_string(), entity).unwrap(), Some(e.clone()), "reprint of {input:?}");
            true
        }
        Ok(None) => false,
        Err(err) => {
            assert!(err.message.starts_with("Invalid filter at position "), "{}", err.message);
            false
        }
    });
    outcome.unwrap_or_else(|_| panic!("parse panicked on {input:?}"))
}

#[test]
fn never_panics_on_random_input() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for n in 0..20_000 {
        // Every entity gets both random and mutated inputs.
        let entity = [Models, Versions, Runs, Experiments, LoggedModels][(n / 4) % 5];
        let input = match n % 4 {
            0 | 1 => random_input(&mut rng),
            _ => {
                let valid = random_expr(&mut rng, entity, 3).to_string();
                mutate(&mut rng, &valid)
            }
        };
        parsed += usize::from(check_any_input(&input, entity));
    }
    // The mutated half keeps many inputs valid: make sure the success path was exercised.
    assert!(parsed > 1_000, "only {parsed} random inputs parsed");
}

#[test]
fn random_expressions_round_trip_through_their_printed_form() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for n in 0..5_000 {
        let entity = [Models, Versions, Runs, Experiments, LoggedModels][n % 5];
        let e = random_expr(&mut rng, entity, 4);
        let printed = e.to_string();
        assert_eq!(parse(&printed, entity).unwrap(), Some(e.clone()), "{printed}");
        let mut params = Vec::new();
        let sql = to_surql(&e, entity, &mut params);
        assert!(!sql.contains('\'') && !sql.contains('"'), "{sql}");
    }
}
