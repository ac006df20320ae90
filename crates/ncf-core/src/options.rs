//! Options as the caller wrote them: a JSON object per call (the Node binding passes the
//! object the TypeScript layer was given, less the keys that live there: callbacks, a signal,
//! a device, a dataset handle). Each options object of the API is read by one function over
//! [`Fields`], which checks every option's name and type once, in the API's words, and refuses
//! a key that names no option. The same function, run over no keys ([`Fields::listing`]), lists
//! the object's option names: the schema the TypeScript types are tested against.
//!
//! JSON has no NaN or ±Infinity: the TypeScript layer sends such a number as the string
//! `"NaN"`, `"Infinity"` or `"-Infinity"`, read here as the number it was.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::error::{NcfError, Result};

/// The options of an object, taken one at a time; what is left at the end names no option.
pub struct Fields {
    /// The object's name in a refusal of a key it does not have (`fit`, `fit.checkpoint`).
    what: String,
    /// The prefix of its options' names in a refusal (`""` at the top, `"checkpoint."` inside).
    at: String,
    map: Map<String, Value>,
    /// Every option name taken, for the refusal of the others and for [`Fields::listing`].
    known: Vec<&'static str>,
    /// Listing the names only: nothing is given, and a required option reads as a placeholder.
    listing: bool,
}

/// How a JS value reads in a message (`String(v)` in JavaScript).
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        v => v.to_string(),
    }
}

/// A number, or one JSON cannot hold sent as its name.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "NaN" => Some(f64::NAN),
        Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Reads the options `json` of `what` (the call's name) with `read`, refusing what it leaves.
pub fn from_json<T>(what: &str, json: &str, read: impl FnOnce(&mut Fields) -> Result<T>) -> Result<T> {
    let mut o = Fields::parse(what, json)?;
    let t = read(&mut o)?;
    o.done()?;
    Ok(t)
}

/// The option names `read` takes, read over no options: the schema of one options object.
pub fn names<T>(read: impl FnOnce(&mut Fields) -> Result<T>) -> Vec<&'static str> {
    let mut o = Fields::listing();
    read(&mut o).expect("no options read as the defaults");
    o.names()
}

/// A count past the 32-bit range every count of the API has.
fn too_large(field: String, n: f64) -> NcfError {
    NcfError::invalid(field, format!("must be at most {} (2^32 − 1), got {n}", u32::MAX))
}

/// The largest integer a JavaScript number holds exactly (2⁵³).
pub const SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl Fields {
    /// The options of one call to `what` (`fit`, `GMF`, `Dataset.fromFile`), from its JSON
    /// text (`null`: no options).
    pub fn parse(what: &str, json: &str) -> Result<Fields> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| NcfError::invalid("options", format!("are not JSON: {e}")))?;
        match value {
            Value::Null => Ok(Fields::of_map(what.into(), String::new(), Map::new())),
            Value::Object(map) => Ok(Fields::of_map(what.into(), String::new(), map)),
            _ => Err(NcfError::invalid("options", "must be an object")),
        }
    }

    /// No options, for listing the names an options reader takes.
    pub fn listing() -> Fields {
        Fields { listing: true, ..Fields::of_map(String::new(), String::new(), Map::new()) }
    }

    fn of_map(what: String, at: String, map: Map<String, Value>) -> Fields {
        Fields { what, at, map, known: Vec::new(), listing: false }
    }

    /// The options nested under `name`, when given (`shape` says what they must be otherwise).
    pub fn object(&mut self, name: &'static str, shape: &str) -> Result<Option<Fields>> {
        let field = self.field(name);
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields::of_map(field.clone(), format!("{field}."), map))),
            Some(_) => Err(NcfError::invalid(field, format!("must be {shape}"))),
        }
    }

    /// The caller's name of option `name` (with its object's path).
    pub fn field(&self, name: &str) -> String {
        format!("{}{name}", self.at)
    }

    /// Whether these are [`Fields::listing`]'s empty options.
    pub fn is_listing(&self) -> bool {
        self.listing
    }

    /// The value of `name`, when given (`null` is not given: JSON's stand-in for `undefined`).
    pub fn take(&mut self, name: &'static str) -> Option<Value> {
        self.known.push(name);
        self.map.remove(name).filter(|v| !v.is_null())
    }

    pub fn number(&mut self, name: &'static str) -> Result<Option<f64>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => match number(&v).filter(|n| !n.is_nan()) {
                Some(n) => Ok(Some(n)),
                None => Err(NcfError::invalid(self.field(name), format!("must be a number, got {}", shown(&v)))),
            },
        }
    }

    /// A count the caller may set to 0 (`negatives`, `seed`, …).
    pub fn count(&mut self, name: &'static str) -> Result<Option<u32>> {
        match self.number(name)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n) => Ok(Some(n as u32)),
            Some(n) if n.fract() == 0.0 && n > 0.0 => Err(too_large(self.field(name), n)),
            Some(n) => Err(NcfError::invalid(self.field(name), format!("must be a non-negative integer, got {n}"))),
        }
    }

    /// A count of at least 1 (`epochs`, `k`, …).
    pub fn positive(&mut self, name: &'static str) -> Result<Option<u32>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => Ok(Some(self.positive_value(name, &v)?)),
        }
    }

    fn positive_value(&self, name: &str, v: &Value) -> Result<u32> {
        match number(v) {
            Some(n) if n.fract() == 0.0 && (1.0..=u32::MAX as f64).contains(&n) => Ok(n as u32),
            Some(n) if n.fract() == 0.0 && n > 0.0 => Err(too_large(self.field(name), n)),
            _ => Err(NcfError::invalid(self.field(name), format!("must be a positive integer, got {}", shown(v)))),
        }
    }

    /// A count of at least 1 that must be given.
    pub fn required_positive(&mut self, name: &'static str) -> Result<u32> {
        match self.positive(name)? {
            Some(n) => Ok(n),
            None if self.listing => Ok(1),
            None => Err(NcfError::invalid(self.field(name), "must be a positive integer, got undefined")),
        }
    }

    /// An array of counts of at least 1 (`layers`), each named by its index in a refusal.
    pub fn positive_list(&mut self, name: &'static str) -> Result<Option<Vec<u32>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(k, v)| self.positive_value(&format!("{name}[{k}]"), v))
                .collect::<Result<Vec<u32>>>()
                .map(Some),
            Some(_) => Err(NcfError::invalid(self.field(name), "must be an array of positive integers")),
        }
    }

    pub fn bool(&mut self, name: &'static str) -> Result<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => Err(NcfError::invalid(self.field(name), format!("must be true or false, got {}", shown(&v)))),
        }
    }

    /// A finite number (`threshold`, …).
    pub fn finite(&mut self, name: &'static str) -> Result<Option<f64>> {
        match self.number(name)? {
            Some(n) if !n.is_finite() => {
                Err(NcfError::invalid(self.field(name), format!("must be a finite number, got {n}")))
            }
            n => Ok(n),
        }
    }

    /// A count of at least 1 up to 2⁵³ (byte limits).
    pub fn positive_u64(&mut self, name: &'static str, unit: &str) -> Result<Option<u64>> {
        match self.number(name)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (1.0..=SAFE_INTEGER).contains(&n) => Ok(Some(n as u64)),
            Some(n) => Err(NcfError::invalid(self.field(name), format!("must be a positive integer{unit}, got {n}"))),
        }
    }

    /// A count from 0 up to 2⁵³ (`interactions`).
    pub fn count_u64(&mut self, name: &'static str) -> Result<Option<u64>> {
        match self.number(name)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (0.0..=SAFE_INTEGER).contains(&n) => Ok(Some(n as u64)),
            Some(n) => Err(NcfError::invalid(self.field(name), format!("must be a non-negative integer, got {n}"))),
        }
    }

    /// A string that must be given (`message` says what it must be otherwise).
    pub fn required_string(&mut self, name: &'static str, message: &str) -> Result<String> {
        match self.take(name) {
            Some(Value::String(s)) => Ok(s),
            None if self.listing => Ok(String::new()),
            _ => Err(NcfError::invalid(self.field(name), message)),
        }
    }

    /// Whether `name` is given, without taking it.
    pub fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    pub fn string(&mut self, name: &'static str) -> Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(NcfError::invalid(self.field(name), format!("must be a string, got {}", shown(&v)))),
        }
    }

    /// One of `names`, as its value, that must be given.
    pub fn required_choice<T: Copy>(&mut self, name: &'static str, names: &[(&str, T)]) -> Result<T> {
        if !self.has(name) && !self.listing {
            self.map.insert(name.to_string(), Value::String(String::new()));
        }
        Ok(self.choice(name, names)?.unwrap_or(names[0].1))
    }

    /// One of `names`, as its value.
    pub fn choice<T: Copy>(&mut self, name: &'static str, names: &[(&str, T)]) -> Result<Option<T>> {
        let Some(v) = self.take(name) else { return Ok(None) };
        if let Some((_, t)) = names.iter().find(|(n, _)| v.as_str() == Some(n)) {
            return Ok(Some(*t));
        }
        let list: Vec<String> = names.iter().map(|(n, _)| format!("'{n}'")).collect();
        let text = match list.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => list.concat(),
        };
        Err(NcfError::invalid(self.field(name), format!("must be {text}, got '{}'", shown(&v))))
    }

    /// A non-empty path (`message` says what it must be otherwise).
    pub fn path(&mut self, name: &'static str, message: &str) -> Result<Option<PathBuf>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(PathBuf::from(s))),
            Some(_) => Err(NcfError::invalid(self.field(name), message)),
        }
    }

    /// Refuses `name` when given, with `message`: an option of a sibling object that does not
    /// apply to this one (it is not listed among this object's options).
    pub fn refuse(&mut self, name: &str, message: &str) -> Result<()> {
        match self.map.get(name) {
            Some(v) if !v.is_null() => Err(NcfError::invalid(self.field(name), message)),
            _ => Ok(()),
        }
    }

    /// Refuses what no option names: "fit: unknown option 'epoch' (did you mean 'epochs'?)",
    /// or with the options listed when none is near.
    pub fn done(self) -> Result<()> {
        let Some(key) = self.map.keys().next() else { return Ok(()) };
        let hint = match nearest(key, &self.known) {
            Some(near) => format!("did you mean '{near}'?"),
            None if self.known.is_empty() => "it takes none".to_string(),
            None => format!("the options: {}", self.known.join(", ")),
        };
        Err(NcfError::invalid(&self.what, format!("unknown option '{key}' ({hint})")))
    }

    /// The option names taken so far, in the order they were read.
    pub fn names(&self) -> Vec<&'static str> {
        self.known.clone()
    }
}

/// The option nearest to a mistyped `key`: the same name in another case, or one at most a
/// third of its letters away (Levenshtein distance), so `epoch` finds `epochs` and `batchsize`
/// finds `batchSize`, but `lr` does not find `k`.
fn nearest<'a>(key: &str, names: &[&'a str]) -> Option<&'a str> {
    let key_lower = key.to_lowercase();
    let budget = (key.chars().count() / 3).max(1);
    names
        .iter()
        .map(|n| (distance(&key_lower, &n.to_lowercase()), *n))
        .filter(|&(d, n)| d <= budget && d < n.chars().count())
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

/// Levenshtein's edit distance between two strings, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_key_is_refused_naming_the_nearest_option() {
        let names = ["epochs", "batchSize", "lr", "k", "negatives"];
        assert_eq!(nearest("epoch", &names), Some("epochs"));
        assert_eq!(nearest("batchsize", &names), Some("batchSize"));
        assert_eq!(nearest("negative", &names), Some("negatives"));
        assert_eq!(nearest("learningRate", &names), None);
        assert_eq!(nearest("x", &names), None, "one letter is no near miss of another");
        assert_eq!((distance("", "abc"), distance("kitten", "sitting"), distance("ab", "ab")), (3, 3, 0));
        let err = |json: &str| {
            let mut o = Fields::parse("fit", json).unwrap();
            o.positive("epochs").unwrap();
            o.count("batchSize").unwrap();
            o.done().unwrap_err().to_string()
        };
        assert_eq!(err(r#"{"epoch": 3}"#), "fit: unknown option 'epoch' (did you mean 'epochs'?)");
        assert_eq!(err(r#"{"zzz": 3}"#), "fit: unknown option 'zzz' (the options: epochs, batchSize)");
        let mut o = Fields::parse("fit", r#"{"epochs": 3, "batchSize": null}"#).unwrap();
        assert_eq!(
            (o.positive("epochs").unwrap(), o.count("batchSize").unwrap()),
            (Some(3), None),
            "null is not given"
        );
        assert!(o.done().is_ok());
    }
}
