//! NcfError → napi::Error. The error's stable code crosses as data: it is the napi error's
//! status, which napi sets as the thrown JS error's `code` (`ERR_PARSE`, …); the message is
//! `message[: cause: cause…]`. `src/errors.ts` wraps it in an `NcfError` with that code.

use ncf_core::NcfError;

/// An error code as napi carries it: the status of a `napi::Error<Code>`, thrown as the JS
/// error's `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// What every binding function returns: its errors carry their code.
pub type Result<T> = napi::Result<T, Code>;

pub fn to_napi(e: NcfError) -> napi::Error<Code> {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!(": {text}"));
        }
        src = s.source();
    }
    napi::Error::new(Code(e.code()), msg)
}

pub trait IntoNapi<T> {
    fn napi(self) -> Result<T>;
}

impl<T> IntoNapi<T> for std::result::Result<T, NcfError> {
    fn napi(self) -> Result<T> {
        self.map_err(to_napi)
    }
}
