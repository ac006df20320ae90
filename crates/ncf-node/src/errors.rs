//! NcfError → napi::Error. Bad input becomes `Status::InvalidArg`, everything else
//! `GenericFailure`. The message is `CODE: message[: cause: cause…]`; `src/errors.ts` lifts the code
//! into `error.code` and keeps this error as `cause`.

use ncf_core::NcfError;

pub fn to_napi(e: NcfError) -> napi::Error {
    let status = if e.is_bad_input() { napi::Status::InvalidArg } else { napi::Status::GenericFailure };
    let mut msg = format!("{}: {e}", e.code());
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!(": {text}"));
        }
        src = s.source();
    }
    napi::Error::new(status, msg)
}

pub type NapiResult<T> = napi::Result<T>;

pub trait IntoNapi<T> {
    fn napi(self) -> NapiResult<T>;
}

impl<T> IntoNapi<T> for Result<T, NcfError> {
    fn napi(self) -> NapiResult<T> {
        self.map_err(to_napi)
    }
}

/// A JS number that must be a non-negative integer within u32 (napi's own u32 conversion
/// wraps −1 to 4294967295, which would be silently wrong).
pub fn to_u32(field: &str, v: f64) -> NapiResult<u32> {
    if v.is_finite() && v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
        Ok(v as u32)
    } else {
        Err(to_napi(NcfError::invalid(field, format!("must be a non-negative integer, got {v}"))))
    }
}
