//! One generic AsyncTask: the closure runs on libuv's thread pool, so training and
//! evaluation never block the event loop. A failed job's code crosses as data: the rejection
//! is a JS error whose `code` is the error's.

use napi::bindgen_prelude::*;

use crate::errors::{Code, Result};

pub struct Job<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> Result<T> + Send>>,
    /// The job's error, kept with its code for `reject` (a task's compute can only fail with
    /// a `napi::Error<Status>`).
    failed: Option<napi::Error<Code>>,
}

impl<T: Send + ToNapiValue + TypeName + 'static> Job<T> {
    pub fn spawn(work: impl FnOnce() -> Result<T> + Send + 'static) -> AsyncTask<Job<T>> {
        AsyncTask::new(Job { work: Some(Box::new(work)), failed: None })
    }
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let outcome = match self.work.take() {
            Some(work) => work(),
            None => Err(napi::Error::new(Code("ERR_INTERNAL"), "job ran twice".to_string())),
        };
        outcome.map_err(|e| {
            let reason = e.reason.clone();
            self.failed = Some(e);
            napi::Error::new(Status::GenericFailure, reason)
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }

    /// Rejects with a JS error that carries the code (napi throws an error made from a JS
    /// error object as that object).
    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<T> {
        match self.failed.take() {
            Some(coded) => Err(napi::Error::from(JsError::from(coded).into_unknown(env))),
            None => Err(err),
        }
    }
}
