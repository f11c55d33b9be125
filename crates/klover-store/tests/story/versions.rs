//! Curriculum versions: importing the same files twice stores one version, even when two
//! instances import them at the same moment (both start, one version); other files are
//! the next version with its parent; a draft write on a stale revision is refused.

use klover_domain::CurriculumId;
use klover_domain::curriculum::SourceFile;
use klover_store::StoreError;

use crate::common::TestDb;

fn files(text: &str) -> Vec<SourceFile> {
    vec![SourceFile {
        path: "curriculum.toml".into(),
        text: text.into(),
    }]
}

pub async fn importing_the_same_files_at_once_stores_one_version(db: &TestDb) {
    let store = &db.store;
    let id = CurriculumId::parse("async-python").unwrap();
    let one = files("id = \"async-python\"\n# v1\n");
    let (a, b) = tokio::join!(
        store.import_version(&id, &one, "import", "a"),
        store.import_version(&id, &one, "import", "b"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.0.number, b.0.number), (1, 1));
    assert!(a.1 ^ b.1, "exactly one of them created it: {a:?} {b:?}");
    let two = files("id = \"async-python\"\n# v2\n");
    let (v2, created) = store.import_version(&id, &two, "import", "").await.unwrap();
    assert!(created);
    assert_eq!((v2.number, v2.parent), (2, Some(1)));
    assert_eq!(store.latest_published_number(&id).await.unwrap(), Some(2));
    let stored = store.version(&id, 1).await.unwrap().unwrap();
    assert_eq!(stored.files[0].text, one[0].text);

    let draft = store.create_draft(&id, 2, &two, "ada").await.unwrap();
    let renames = Default::default();
    let next = store
        .save_draft(&draft.id, 1, &one, &renames)
        .await
        .unwrap();
    assert_eq!(next, 2);
    let stale = store.save_draft(&draft.id, 1, &two, &renames).await;
    assert!(
        matches!(stale, Err(StoreError::StaleRevision { current: 2, .. })),
        "{stale:?}"
    );
}
