//! The JSON objects of the OpenAI chat-completions wire format, as the fake server sends
//! them.

use serde_json::{Value, json};

use crate::reply::Reply;

fn usage(reply: &Reply) -> Value {
    let (p, c) = reply.usage;
    json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c})
}

fn chunk(id: &str, model: &str, choices: Value, usage: Value) -> String {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": usage,
    })
    .to_string()
}

/// The first chunk: the assistant role with empty content, as OpenAI sends it.
pub(crate) fn role_chunk(id: &str, model: &str) -> String {
    let choices =
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]);
    chunk(id, model, choices, Value::Null)
}

/// One content delta.
pub(crate) fn content_chunk(id: &str, model: &str, content: &str) -> String {
    let choices = json!([{"index": 0, "delta": {"content": content}, "finish_reason": null}]);
    chunk(id, model, choices, Value::Null)
}

/// The last chunk: empty delta, the finish reason, and the usage.
pub(crate) fn final_chunk(reply: &Reply, id: &str, model: &str) -> String {
    let choices = json!([{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]);
    chunk(id, model, choices, usage(reply))
}

/// A whole (non-stream) `chat.completion` object.
pub(crate) fn completion(reply: &Reply, id: &str, model: &str) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply.full_text()},
            "finish_reason": reply.finish_reason,
        }],
        "usage": usage(reply),
    })
}

/// An OpenAI error object: `{"error": {"message", "type", "param", "code"}}`.
pub(crate) fn error_object(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
}
