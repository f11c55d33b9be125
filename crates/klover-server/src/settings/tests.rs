//! The loader's precedence, one row per layer and alias; the secrets; the documentation.

use super::load::{env_names, keys, load, redact_url};
use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(text: &str) -> (tempfile::TempDir, ConfigFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klover.toml");
    std::fs::write(&path, text).unwrap();
    (dir, ConfigFile::Explicit(path))
}

/// One row of the precedence table: a file, an environment (in the order given) and a
/// flag; the value `database_url` ends with and the layer it came from.
struct Row {
    case: &'static str,
    file: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    flag: Option<&'static str>,
    want: &'static str,
    from: &'static str,
}

#[test]
fn each_layer_and_alias_beats_the_ones_before_it_whatever_the_env_order() {
    let rows = [
        Row {
            case: "nothing set",
            file: None,
            env: &[],
            flag: None,
            want: "sqlite://klover.db",
            from: "default",
        },
        Row {
            case: "the file beats the default",
            file: Some("database_url = \"sqlite://file.db\"\n"),
            env: &[],
            flag: None,
            want: "sqlite://file.db",
            from: "file",
        },
        Row {
            case: "the alias beats the file",
            file: Some("database_url = \"sqlite://file.db\"\n"),
            env: &[("DATABASE_URL", "sqlite://alias.db")],
            flag: None,
            want: "sqlite://alias.db",
            from: "env DATABASE_URL",
        },
        Row {
            case: "KLOVER_ beats the alias listed after it",
            file: None,
            env: &[
                ("KLOVER_DATABASE_URL", "sqlite://klover-var.db"),
                ("DATABASE_URL", "sqlite://alias.db"),
            ],
            flag: None,
            want: "sqlite://klover-var.db",
            from: "env KLOVER_DATABASE_URL",
        },
        Row {
            case: "KLOVER_ beats the alias listed before it",
            file: None,
            env: &[
                ("DATABASE_URL", "sqlite://alias.db"),
                ("KLOVER_DATABASE_URL", "sqlite://klover-var.db"),
            ],
            flag: None,
            want: "sqlite://klover-var.db",
            from: "env KLOVER_DATABASE_URL",
        },
        Row {
            case: "an empty variable counts as unset",
            file: Some("database_url = \"sqlite://file.db\"\n"),
            env: &[("KLOVER_DATABASE_URL", "")],
            flag: None,
            want: "sqlite://file.db",
            from: "file",
        },
        Row {
            case: "the flag beats everything",
            file: Some("database_url = \"sqlite://file.db\"\n"),
            env: &[
                ("KLOVER_DATABASE_URL", "sqlite://klover-var.db"),
                ("DATABASE_URL", "sqlite://alias.db"),
            ],
            flag: Some("sqlite://flag.db"),
            want: "sqlite://flag.db",
            from: "flag --database-url",
        },
    ];
    for row in rows {
        let (_dir, config) = match row.file {
            Some(text) => {
                let (d, c) = file(text);
                (Some(d), c)
            }
            None => (None, ConfigFile::None),
        };
        let sources =
            Sources::new(config, env(row.env)).flag("database_url", "--database-url", row.flag);
        let loaded = load(&sources).unwrap();
        assert_eq!(loaded.settings.database_url, row.want, "{}", row.case);
        let origin = loaded.origin("database_url").to_string();
        assert!(origin.starts_with(row.from), "{}: from {origin}", row.case);
    }
}

#[test]
fn the_api_key_alias_loses_to_its_klover_name_in_either_order() {
    for pairs in [
        [
            ("OPENAI_API_KEY", "sk-alias"),
            ("KLOVER_LLM_API_KEY", "sk-k"),
        ],
        [
            ("KLOVER_LLM_API_KEY", "sk-k"),
            ("OPENAI_API_KEY", "sk-alias"),
        ],
    ] {
        let loaded = load(&Sources::new(ConfigFile::None, env(&pairs))).unwrap();
        let key = loaded.settings.llm.api_key.as_ref().unwrap();
        assert_eq!(klover_llm::ExposeSecret::expose_secret(key), "sk-k");
        assert_eq!(
            loaded.origin("llm.api_key"),
            Origin::Env("KLOVER_LLM_API_KEY".into())
        );
    }
    let alone = env(&[("OPENAI_API_KEY", "sk-alias")]);
    let loaded = load(&Sources::new(ConfigFile::None, alone)).unwrap();
    assert!(loaded.settings.llm.is_configured());
}

#[test]
fn nested_keys_typed_values_and_lists_come_from_the_environment() {
    let (_dir, config) = file("[limits]\nrate_burst = 3\n[llm]\nmax_retries = 5\n");
    let vars = env(&[
        ("KLOVER_AUTH", "on"),
        ("KLOVER_RATE_PER_MINUTE", "7"),
        ("KLOVER_LLM_FIRST_TOKEN_TIMEOUT_SECS", "12"),
        (
            "KLOVER_ALLOWED_ORIGINS",
            "https://a.example, https://b.example",
        ),
    ]);
    let loaded = load(&Sources::new(config, vars)).unwrap();
    let s = &loaded.settings;
    assert!(s.auth);
    assert_eq!(s.limits.rate_burst, 3);
    assert_eq!(s.limits.rate_per_minute, 7);
    assert_eq!(s.llm.max_retries, 5);
    assert_eq!(s.llm.first_token_timeout_secs, 12);
    assert_eq!(
        s.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(
        loaded.origin("limits.rate_per_minute"),
        Origin::Env("KLOVER_RATE_PER_MINUTE".into())
    );
    assert!(
        loaded
            .origin("llm.max_retries")
            .to_string()
            .starts_with("file ")
    );
    assert_eq!(loaded.origin("limits.ping_interval_secs"), Origin::Default);
}

#[test]
fn llm_timeouts_retries_and_token_caps_reach_the_adapter() {
    let vars = env(&[
        ("KLOVER_LLM_BASE_URL", "http://localhost:11434/v1"),
        ("KLOVER_LLM_CONNECT_TIMEOUT_SECS", "2"),
        ("KLOVER_LLM_CHUNK_TIMEOUT_SECS", "9"),
        ("KLOVER_LLM_MAX_RETRIES", "0"),
        ("KLOVER_LLM_MAX_TOKENS", "123"),
        ("KLOVER_LLM_JUDGE_MAX_TOKENS", "456"),
        ("KLOVER_LLM_JUDGE_MODEL", "small-judge"),
        ("KLOVER_LLM_JUDGE_WAIT_MS", "1500"),
    ]);
    let s = load(&Sources::new(ConfigFile::None, vars))
        .unwrap()
        .settings;
    let c = s.llm.config().unwrap();
    assert_eq!(c.timeouts.connect, Duration::from_secs(2));
    assert_eq!(c.timeouts.between_chunks, Duration::from_secs(9));
    assert_eq!(c.timeouts.first_token, Duration::from_secs(30));
    assert_eq!(c.retry.max_retries, 0);
    assert_eq!((c.max_tokens, c.judge_max_tokens), (123, 456));
    assert_eq!(c.judge_model.as_deref(), Some("small-judge"));
    assert_eq!(c.judge_wait, Duration::from_millis(1500));
}

#[test]
fn wrong_values_and_unknown_keys_name_the_key_and_where_it_was_set() {
    let bad = env(&[("KLOVER_RATE_BURST", "lots")]);
    let err = load(&Sources::new(ConfigFile::None, bad))
        .unwrap_err()
        .to_string();
    assert!(err.contains("KLOVER_RATE_BURST"), "{err}");
    let bad = env(&[("KLOVER_BIND", "localhost")]);
    let err = load(&Sources::new(ConfigFile::None, bad))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bind") && err.contains("KLOVER_BIND"), "{err}");
    let (_dir, config) = file("bnd = \"127.0.0.1:4000\"\n");
    let err = load(&Sources::new(config, env(&[])))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bnd") && err.contains("klover.toml"), "{err}");
    let missing = ConfigFile::Explicit("/nonexistent/klover.toml".into());
    let err = load(&Sources::new(missing, env(&[])))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn defaults_listen_on_loopback_3000_with_16_kib_frames() {
    let s = Settings::default();
    assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
    assert_eq!(s.limits.max_message_bytes, 16384);
    assert!(s.check().is_ok());
}

#[test]
fn secrets_never_print_in_debug_or_config_show() {
    let vars = env(&[
        ("KLOVER_LLM_API_KEY", "sk-very-secret"),
        ("DATABASE_URL", "postgres://ada:hunter2@db:5432/klover"),
    ]);
    let loaded = load(&Sources::new(ConfigFile::None, vars)).unwrap();
    let debug = format!("{:?}", loaded.settings);
    assert!(!debug.contains("sk-very-secret"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("ada:[redacted]@db"), "{debug}");
    let shown = loaded.show();
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(shown.contains("# env KLOVER_LLM_API_KEY"), "{shown}");
    assert!(shown.contains("# env DATABASE_URL"), "{shown}");
    assert_eq!(
        redact_url("postgres://ada@db/k"),
        "postgres://ada@db/k",
        "no password, nothing to hide"
    );
}

#[test]
fn a_public_bind_without_auth_is_refused_and_says_which_setting() {
    let vars = env(&[("KLOVER_BIND", "0.0.0.0:3000")]);
    let s = load(&Sources::new(ConfigFile::None, vars))
        .unwrap()
        .settings;
    let err = s.check().unwrap_err().to_string();
    assert!(
        err.contains("without auth") && err.contains("`auth`"),
        "{err}"
    );
    let vars = env(&[("KLOVER_BIND", "0.0.0.0:3000"), ("KLOVER_AUTH", "on")]);
    let s = load(&Sources::new(ConfigFile::None, vars))
        .unwrap()
        .settings;
    assert!(s.check().is_ok());
}

/// The rows of the settings reference in docs/operations.md: key → env names.
fn documented() -> Vec<(String, Vec<String>, String)> {
    let doc = include_str!("../../../../docs/operations.md");
    let start = doc
        .find("## Settings reference")
        .expect("docs/operations.md has a settings reference");
    let section = &doc[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section[..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let key = ticked(cells[1]).into_iter().next().unwrap_or_default();
            (key, ticked(cells[2]), cells[4].to_owned())
        })
        .collect()
}

#[test]
fn the_settings_reference_in_the_docs_lists_every_key_and_only_those() {
    let doc = documented();
    let loader = keys();
    let doc_keys: Vec<&str> = doc.iter().map(|(k, _, _)| k.as_str()).collect();
    let loader_keys: Vec<&str> = loader.iter().map(|(k, _)| k.as_str()).collect();
    for key in &loader_keys {
        assert!(doc_keys.contains(key), "docs/operations.md misses `{key}`");
    }
    for key in &doc_keys {
        assert!(
            loader_keys.contains(key),
            "docs/operations.md lists `{key}`, no setting"
        );
    }
    for (key, vars, default) in &doc {
        assert_eq!(
            vars,
            &env_names(key),
            "the variables of `{key}` in the docs"
        );
        let value = &loader.iter().find(|(k, _)| k == key).unwrap().1;
        let want = match value {
            serde_json::Value::Null => "none".to_owned(),
            serde_json::Value::Array(a) if a.is_empty() => "none".to_owned(),
            serde_json::Value::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        };
        assert_eq!(default, &want, "the default of `{key}` in the docs");
    }
}
