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
    /// The object's path (`""` at the top, `"checkpoint."` inside it).
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

/// The largest integer a JavaScript number holds exactly (2⁵³).
pub const SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl Fields {
    /// The options of one call, from its JSON text (`null` or no text: no options).
    pub fn parse(json: &str) -> Result<Fields> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| NcfError::invalid("options", format!("are not JSON: {e}")))?;
        match value {
            Value::Null => Ok(Fields::of_map(String::new(), Map::new())),
            v => Fields::of(String::new(), v, "an object"),
        }
    }

    /// No options, for listing the names an options reader takes.
    pub fn listing() -> Fields {
        Fields { listing: true, ..Fields::of_map(String::new(), Map::new()) }
    }

    fn of_map(at: String, map: Map<String, Value>) -> Fields {
        Fields { at, map, known: Vec::new(), listing: false }
    }

    /// The options of `v`, an object at path `at` (`shape` says what it must be otherwise).
    pub fn of(at: String, v: Value, shape: &str) -> Result<Fields> {
        match v {
            Value::Object(map) => Ok(Fields::of_map(at, map)),
            _ => {
                let field = if at.is_empty() { "options".to_string() } else { at.trim_end_matches('.').to_string() };
                Err(NcfError::invalid(field, format!("must be {shape}")))
            }
        }
    }

    /// The options nested under `name`, when given.
    pub fn object(&mut self, name: &'static str, shape: &str) -> Result<Option<Fields>> {
        let at = format!("{}{name}.", self.at);
        self.take(name).map(|v| Fields::of(at, v, shape)).transpose()
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

    /// Refuses what no option names.
    pub fn done(self) -> Result<()> {
        let Some(key) = self.map.keys().next() else { return Ok(()) };
        Err(NcfError::invalid(
            self.field(key),
            format!("is not an option here (the options: {})", self.known.join(", ")),
        ))
    }

    /// The option names taken so far, in the order they were read.
    pub fn names(&self) -> Vec<&'static str> {
        self.known.clone()
    }
}
