//! The lexer and the recursive-descent parser of the filter grammar (see the module above).

use std::fmt;

use super::{DatasetAttr, Entity, Expr, Field, MAX_CLAUSES, MAX_DEPTH, MAX_FILTER_LEN, ModelAttr, Op, RunAttr, Value};
use crate::error::Error;

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Letters, digits and `_`; also `-` followed by digits (a negative number).
    Word(String),
    /// A single- or double-quoted string, unescaped.
    Str(String),
    /// A backtick-quoted identifier.
    Backtick(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Cmp(Op),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character position of the token's first character.
    pos: usize,
}

fn err(pos: usize, message: impl fmt::Display) -> Error {
    Error::invalid("filter", format!("Invalid filter at position {pos}: {message}."))
}

pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() { format!("U+{:04X}", c as u32) } else { format!("'{c}'") }
}

fn lex(chars: &[char]) -> Result<Vec<Token>, Error> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let pos = i + 1;
        let next = chars.get(i + 1).copied();
        let single = |tok| Token { tok, pos };
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => out.push(single(Tok::LParen)),
            ')' => out.push(single(Tok::RParen)),
            ',' => out.push(single(Tok::Comma)),
            '.' => out.push(single(Tok::Dot)),
            '=' => out.push(single(Tok::Cmp(Op::Eq))),
            '!' if next == Some('=') => {
                out.push(single(Tok::Cmp(Op::Ne)));
                i += 1;
            }
            '<' | '>' => {
                let eq = next == Some('=');
                let op = match (c, eq) {
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    (_, false) => Op::Gt,
                    (_, true) => Op::Ge,
                };
                out.push(single(Tok::Cmp(op)));
                i += usize::from(eq);
            }
            '\'' | '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j).copied() {
                        None => return Err(err(pos, format!("the string starting with {c} is not closed"))),
                        Some('\\') => match chars.get(j + 1).copied() {
                            Some(e @ ('\\' | '\'' | '"')) => {
                                s.push(e);
                                j += 2;
                            }
                            _ => {
                                s.push('\\');
                                j += 1;
                            }
                        },
                        Some(q) if q == c => {
                            if chars.get(j + 1) == Some(&c) {
                                s.push(c);
                                j += 2;
                            } else {
                                break;
                            }
                        }
                        Some(other) => {
                            s.push(other);
                            j += 1;
                        }
                    }
                }
                out.push(single(Tok::Str(s)));
                i = j;
            }
            '`' => {
                let Some(len) = chars[i + 1..].iter().position(|&ch| ch == '`') else {
                    return Err(err(pos, "the name starting with ` is not closed"));
                };
                out.push(single(Tok::Backtick(chars[i + 1..i + 1 + len].iter().collect())));
                i += len + 1;
            }
            // After a comparison, a number may have a fraction and an exponent (`0.95`, `1e-3`).
            _ if matches!(out.last(), Some(Token { tok: Tok::Cmp(_), .. })) && number_len(&chars[i..]) > 0 => {
                let len = number_len(&chars[i..]);
                out.push(single(Tok::Word(chars[i..i + len].iter().collect())));
                i += len - 1;
            }
            c if is_word_char(c) || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let len = 1 + chars[i + 1..].iter().take_while(|&&ch| is_word_char(ch)).count();
                out.push(single(Tok::Word(chars[i..i + len].iter().collect())));
                i += len - 1;
            }
            other => return Err(err(pos, format!("unexpected character {}", show_char(other)))),
        }
        i += 1;
    }
    Ok(out)
}

/// The length of the decimal number at the start of `chars` (`-1.5e-3`), 0 if there is none or
/// it runs on into letters (`1abc` is a word).
fn number_len(chars: &[char]) -> usize {
    let digits = |from: usize| chars[from.min(chars.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(matches!(chars.first(), Some('-' | '+')));
    let whole = digits(i);
    i += whole;
    let mut frac = 0;
    if chars.get(i) == Some(&'.') {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if whole + frac == 0 {
        return 0;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(i + 1), Some('-' | '+')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    if chars.get(i).is_some_and(|&c| is_word_char(c) || c == '.') { 0 } else { i }
}

// ---------------------------------------------------------------------------------------------
// Parser

/// Parses `input` as a filter over `entity`. `Ok(None)`: the filter is empty or blank.
pub fn parse(input: &str, entity: Entity) -> Result<Option<Expr>, Error> {
    if input.chars().nth(MAX_FILTER_LEN).is_some() {
        return Err(err(MAX_FILTER_LEN + 1, format_args!("a filter may be at most {MAX_FILTER_LEN} characters long")));
    }
    if input.trim().is_empty() {
        return Ok(None);
    }
    let chars: Vec<char> = input.chars().collect();
    let toks = lex(&chars)?;
    let mut p = Parser { toks, i: 0, end: chars.len() + 1, entity, depth: 0, clauses: 0 };
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        let pos = t.pos;
        return Err(match t.tok {
            Tok::RParen => err(pos, "this ')' has no matching '('"),
            _ => err(pos, format_args!("expected AND, OR or the end of the filter, found {}", describe(&t.tok))),
        });
    }
    Ok(Some(expr))
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Position reported for "the filter ended here".
    end: usize,
    entity: Entity,
    depth: usize,
    clauses: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(s) => format!("the string '{s}'"),
        Tok::Backtick(s) => format!("`{s}`"),
        Tok::Dot => "'.'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Cmp(op) => format!("'{}'", op.as_str()),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += usize::from(t.is_some());
        t
    }

    fn peek_keyword(&self, offset: usize, kw: &str) -> bool {
        matches!(self.toks.get(self.i + offset), Some(Token { tok: Tok::Word(w), .. }) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let hit = self.peek_keyword(0, kw);
        self.i += usize::from(hit);
        hit
    }

    fn or(&mut self) -> Result<Expr, Error> {
        let mut items = vec![self.and()?];
        while self.eat_keyword("OR") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
    }

    fn and(&mut self) -> Result<Expr, Error> {
        let mut items = vec![self.primary()?];
        while self.eat_keyword("AND") {
            items.push(self.primary()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        let Some(open) = self.peek().filter(|t| t.tok == Tok::LParen).map(|t| t.pos) else {
            return self.clause();
        };
        if self.depth == MAX_DEPTH {
            return Err(err(open, format_args!("parentheses may be nested at most {MAX_DEPTH} deep")));
        }
        self.i += 1;
        self.depth += 1;
        let inner = self.or()?;
        self.depth -= 1;
        match self.next() {
            Some(Token { tok: Tok::RParen, .. }) => Ok(inner),
            Some(t) => Err(err(
                t.pos,
                format_args!("expected ')' to close the '(' at position {open}, found {}", describe(&t.tok)),
            )),
            None => Err(err(self.end, format_args!("expected ')' to close the '(' at position {open}"))),
        }
    }

    fn clause(&mut self) -> Result<Expr, Error> {
        let start = self.pos();
        let field = self.field()?;
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(err(start, format_args!("a filter may hold at most {MAX_CLAUSES} conditions")));
        }
        let op_pos = self.pos();
        let op = self.op(&field)?;
        let numeric = field.is_numeric();
        if numeric && matches!(op, Op::Like | Op::ILike | Op::In | Op::NotIn) {
            return Err(err(op_pos, format_args!("{} can be compared only with =, !=, <, <=, > or >=", field.label())));
        }
        if !numeric && op.is_numeric_only() {
            let numbers = match self.entity {
                Entity::Runs => "metrics, start_time and end_time",
                Entity::LoggedModels => "metrics, creation_timestamp and last_updated_timestamp",
                _ => "version_number",
            };
            return Err(err(op_pos, format_args!("'{}' applies only to {numbers}", op.as_str())));
        }
        let value = match op {
            Op::In | Op::NotIn => Value::List(self.list(op)?),
            _ if matches!(field, Field::Metric(_)) => Value::Num(self.num(&field, op)?),
            _ if numeric => Value::Int(self.int(&field, op)?),
            _ => match self.next() {
                Some(Token { tok: Tok::Str(s), .. }) => Value::Str(s),
                Some(t) => {
                    return Err(err(
                        t.pos,
                        format_args!("expected a quoted string after '{}', found {}", op.as_str(), describe(&t.tok)),
                    ));
                }
                None => return Err(err(self.end, format_args!("expected a value after '{}'", op.as_str()))),
            },
        };
        Ok(Expr::Cmp { field, op, value })
    }

    fn field(&mut self) -> Result<Field, Error> {
        if matches!(self.entity, Entity::Runs | Entity::LoggedModels) {
            return self.run_field();
        }
        let pos = self.pos();
        let head = match self.next() {
            Some(Token { tok: Tok::Word(w) | Tok::Backtick(w), .. }) => w,
            Some(t) => {
                return Err(err(
                    t.pos,
                    format_args!("expected a field ({}), found {}", self.entity.fields(), describe(&t.tok)),
                ));
            }
            None => {
                return Err(err(self.end, format_args!("expected a field ({}) here", self.entity.fields())));
            }
        };
        if self.entity == Entity::Experiments {
            return self.experiment_field(head, pos);
        }
        if self.peek_tok() == Some(&Tok::Dot) {
            if !(head.eq_ignore_ascii_case("tags") || head.eq_ignore_ascii_case("tag")) {
                return Err(err(pos, format_args!("unknown field prefix '{head}'; tags are written tags.<key>")));
            }
            self.i += 1;
            return self.tag_key().map(Field::Tag);
        }
        let field = match head.to_ascii_lowercase().as_str() {
            "name" => Field::Name,
            "version_number" => Field::VersionNumber,
            "run_id" => Field::RunId,
            "source_path" => Field::SourcePath,
            "tags" | "tag" => return Err(err(pos, "expected '.' and a tag key after 'tags'")),
            _ => {
                return Err(err(pos, format_args!("unknown field '{head}'; the fields are {}", self.entity.fields())));
            }
        };
        if self.entity == Entity::Models && field != Field::Name {
            return Err(err(
                pos,
                format_args!(
                    "'{head}' is not a field of {}; the fields are {}",
                    self.entity.noun(),
                    self.entity.fields()
                ),
            ));
        }
        Ok(field)
    }

    /// A field of a run: `metrics.<key>`, `params.<key>`, `tags.<key>`, `attributes.<name>`, or
    /// an attribute's bare name.
    /// A field of a run or a logged model: `metrics.`, `params.`, `tags.` and `attributes.` keys,
    /// or an attribute's bare name.
    fn run_field(&mut self) -> Result<Field, Error> {
        let pos = self.pos();
        let fields = self.entity.fields();
        let head = match self.next() {
            Some(Token { tok: Tok::Word(w) | Tok::Backtick(w), .. }) => w,
            Some(t) => return Err(err(t.pos, format_args!("expected a field ({fields}), found {}", describe(&t.tok)))),
            None => return Err(err(self.end, format_args!("expected a field ({fields}) here"))),
        };
        let models = self.entity == Entity::LoggedModels;
        let attr = |name: &str| {
            if models { ModelAttr::parse(name).map(Field::ModelAttr) } else { RunAttr::parse(name).map(Field::Attr) }
        };
        if self.peek_tok() != Some(&Tok::Dot) {
            return attr(&head)
                .ok_or_else(|| err(pos, format_args!("unknown field '{head}'; the fields are {fields}")));
        }
        self.i += 1;
        let prefix = head.to_ascii_lowercase();
        match prefix.as_str() {
            "metric" | "metrics" => self.key_after("metric", &head).map(Field::Metric),
            "param" | "params" | "parameter" | "parameters" => self.key_after("param", &head).map(Field::Param),
            "tag" | "tags" => self.key_after("tag", &head).map(Field::Tag),
            "attribute" | "attributes" | "attr" => {
                let at = self.pos();
                let name = self.key_after("attribute", &head)?;
                attr(&name).ok_or_else(|| {
                    let names: Vec<&str> = if models {
                        ModelAttr::ALL.iter().map(|a| a.name()).collect()
                    } else {
                        RunAttr::ALL.iter().map(|a| a.name()).collect()
                    };
                    err(at, format_args!("unknown attribute '{name}'; the attributes are {}", names.join(", ")))
                })
            }
            "dataset" | "datasets" if !models => {
                let at = self.pos();
                let name = self.key_after("dataset field", &head)?;
                DatasetAttr::parse(&name).map(Field::Dataset).ok_or_else(|| {
                    err(at, format_args!("unknown dataset field '{name}'; the fields are name, digest and context"))
                })
            }
            "run" if !models => {
                let at = self.pos();
                let name = self.key_after("attribute", &head)?;
                attr(&name).ok_or_else(|| {
                    let names: Vec<&str> = RunAttr::ALL.iter().map(|a| a.name()).collect();
                    err(at, format_args!("unknown attribute '{name}'; the attributes are {}", names.join(", ")))
                })
            }
            _ => Err(err(
                pos,
                format_args!(
                    "unknown field prefix '{head}'; use metrics.<key>, params.<key>, tags.<key>, attributes.<name> or datasets.<name|digest|context>"
                ),
            )),
        }
    }

    /// A field of an experiment: `name` or `attributes.name` (Quiver keeps no experiment tags).
    fn experiment_field(&mut self, head: String, pos: usize) -> Result<Field, Error> {
        let prefixed = ["attribute", "attributes", "attr"].iter().any(|p| head.eq_ignore_ascii_case(p));
        let tags = head.eq_ignore_ascii_case("tags") || head.eq_ignore_ascii_case("tag");
        let name = if prefixed && self.peek_tok() == Some(&Tok::Dot) {
            self.i += 1;
            self.key_after("attribute", &head)?
        } else if tags && self.peek_tok() == Some(&Tok::Dot) {
            self.i += 1;
            return self.tag_key().map(Field::Tag);
        } else if self.peek_tok() == Some(&Tok::Dot) {
            return Err(err(
                pos,
                format_args!(
                    "experiments are searched by name and tags, not by '{head}.…'; the fields are name, tags.<key>"
                ),
            ));
        } else {
            head
        };
        if name.eq_ignore_ascii_case("name") {
            Ok(Field::Name)
        } else if tags {
            Err(err(pos, "expected '.' and a tag key after 'tags'"))
        } else {
            Err(err(pos, format_args!("experiments are searched by name and tags, not by '{name}'")))
        }
    }

    fn tag_key(&mut self) -> Result<String, Error> {
        self.key_after("tag", "tags")
    }

    /// The key after `<prefix>.`: words joined by dots, or one quoted or backticked string.
    fn key_after(&mut self, noun: &str, prefix: &str) -> Result<String, Error> {
        let pos = self.pos();
        let key = match self.next() {
            Some(Token { tok: Tok::Str(k) | Tok::Backtick(k), .. }) => k,
            Some(Token { tok: Tok::Word(w), .. }) => {
                let mut key = w;
                while self.peek_tok() == Some(&Tok::Dot) {
                    match self.toks.get(self.i + 1) {
                        Some(Token { tok: Tok::Word(w), .. }) => {
                            key.push('.');
                            key.push_str(w);
                            self.i += 2;
                        }
                        other => {
                            let at = other.map_or(self.end, |t| t.pos);
                            return Err(err(at, format_args!("expected the rest of the {noun} key after '.'")));
                        }
                    }
                }
                key
            }
            Some(t) => {
                return Err(err(
                    t.pos,
                    format_args!("expected a {noun} key after '{prefix}.', found {}", describe(&t.tok)),
                ));
            }
            None => return Err(err(self.end, format_args!("expected a {noun} key after '{prefix}.'"))),
        };
        if key.is_empty() {
            return Err(err(pos, format_args!("the {noun} key must not be empty")));
        }
        Ok(key)
    }

    fn op(&mut self, field: &Field) -> Result<Op, Error> {
        let pos = self.pos();
        let op = match self.peek_tok() {
            Some(Tok::Cmp(op)) => Some(*op),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("LIKE") => Some(Op::Like),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("ILIKE") => Some(Op::ILike),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("IN") => Some(Op::In),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("NOT") => {
                if !self.peek_keyword(1, "IN") {
                    return Err(err(pos, "expected IN after NOT"));
                }
                self.i += 1;
                Some(Op::NotIn)
            }
            _ => None,
        };
        let Some(op) = op else {
            let found = self.peek_tok().map_or("the end of the filter".to_string(), describe);
            return Err(err(
                pos,
                format_args!(
                    "expected a comparison (=, !=, LIKE, ILIKE, IN, NOT IN) after {}, found {found}",
                    field.label()
                ),
            ));
        };
        self.i += 1;
        Ok(op)
    }

    fn int(&mut self, field: &Field, op: Op) -> Result<i64, Error> {
        let Some(t) = self.next() else {
            return Err(err(self.end, format_args!("expected a value after '{}'", op.as_str())));
        };
        let (Tok::Word(text) | Tok::Str(text)) = &t.tok else {
            return Err(err(
                t.pos,
                format_args!("expected an integer after '{}', found {}", op.as_str(), describe(&t.tok)),
            ));
        };
        let decimal = matches!(t.tok, Tok::Word(_)) && self.peek_tok() == Some(&Tok::Dot);
        match text.trim().parse::<i64>() {
            Ok(n) if !decimal => Ok(n),
            _ => Err(err(
                t.pos,
                format_args!("{} must be compared with an integer, found {}", field.label(), describe(&t.tok)),
            )),
        }
    }

    /// A finite number, unquoted (MLflow compares metrics only with numbers).
    fn num(&mut self, field: &Field, op: Op) -> Result<f64, Error> {
        let Some(t) = self.next() else {
            return Err(err(self.end, format_args!("expected a number after '{}'", op.as_str())));
        };
        match &t.tok {
            Tok::Word(text) => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(err(t.pos, format_args!("{} must be compared with a number, found '{text}'", field.label()))),
            },
            other => Err(err(
                t.pos,
                format_args!("{} must be compared with an unquoted number, found {}", field.label(), describe(other)),
            )),
        }
    }

    fn list(&mut self, op: Op) -> Result<Vec<String>, Error> {
        let open = self.pos();
        if self.peek_tok() != Some(&Tok::LParen) {
            return Err(err(open, format_args!("expected a list such as ('a', 'b') after {}", op.as_str())));
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            match self.next() {
                Some(Token { tok: Tok::Str(s), .. }) => items.push(s),
                Some(Token { tok: Tok::RParen, pos }) => {
                    return if items.is_empty() { Err(err(pos, "the list must not be empty")) } else { Ok(items) };
                }
                Some(t) => {
                    return Err(err(
                        t.pos,
                        format_args!("expected a quoted string in the list, found {}", describe(&t.tok)),
                    ));
                }
                None => return Err(err(self.end, format_args!("expected ')' to close the list at position {open}"))),
            }
            match self.next() {
                Some(Token { tok: Tok::Comma, .. }) => {}
                Some(Token { tok: Tok::RParen, .. }) => return Ok(items),
                Some(t) => {
                    return Err(err(
                        t.pos,
                        format_args!("expected ',' or ')' in the list, found {}", describe(&t.tok)),
                    ));
                }
                None => return Err(err(self.end, format_args!("expected ')' to close the list at position {open}"))),
            }
        }
    }
}
