//! One generic AsyncTask: the closure runs on libuv's thread pool, so training and
//! evaluation never block the event loop.

use napi::bindgen_prelude::*;

pub struct Job<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> napi::Result<T> + Send>>,
}

impl<T: Send + ToNapiValue + TypeName + 'static> Job<T> {
    pub fn spawn(work: impl FnOnce() -> napi::Result<T> + Send + 'static) -> AsyncTask<Job<T>> {
        AsyncTask::new(Job { work: Some(Box::new(work)) })
    }
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().ok_or_else(|| napi::Error::from_reason("ERR_INTERNAL: job ran twice"))?;
        work()
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }
}
