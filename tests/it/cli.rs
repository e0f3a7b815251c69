//! The `partnermatch` command as a user runs it: files in, files out, exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("partnermatch-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the real `partnermatch` binary, as a user would, and returns its status.
fn partnermatch(args: &[&str]) -> ExitCode {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_partnermatch"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run partnermatch");
    match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).expect("an exit status fits a byte")),
        None => panic!("partnermatch was killed: {status}"),
    }
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/district.json")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn match_writes_the_result_of_the_shipped_example() {
    let scratch = Scratch::new("example");
    let output = scratch.path("result.json");
    let status = partnermatch(&[
        "match",
        "--input",
        example().to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert_eq!(status, ExitCode::SUCCESS);
    let result = read_json(&output);
    let stats = &result["stats"];
    let assignments = result["assignments"].as_array().unwrap();
    let unmatched = result["unmatched"].as_array().unwrap();
    assert_eq!(stats["matched"].as_u64().unwrap() as usize, assignments.len());
    assert_eq!(stats["needs"].as_u64().unwrap() as usize, assignments.len() + unmatched.len());
    assert!(!assignments.is_empty() && !unmatched.is_empty());
    assert!(result.get("candidates").is_none(), "candidates only when asked");
    for assignment in assignments {
        let sum: u64 =
            assignment["breakdown"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(assignment["score"].as_u64().unwrap(), sum);
    }
    // The agreement of p-parks ended the day before asOf: its internship is never matched.
    assert!(assignments.iter().all(|assignment| assignment["openingId"] != "o-501"));
}

#[test]
fn candidates_are_listed_when_asked() {
    let scratch = Scratch::new("candidates");
    let output = scratch.path("result.json");
    let input = example();
    let args =
        ["match", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap(), "--candidates"];
    assert_eq!(partnermatch(&args), ExitCode::SUCCESS);
    let result = read_json(&output);
    let candidates = result["candidates"].as_array().unwrap();
    assert_eq!(candidates.len() as u64, result["stats"]["candidates"].as_u64().unwrap());
    for assignment in result["assignments"].as_array().unwrap() {
        let seen = candidates.iter().any(|candidate| {
            candidate["studentId"] == assignment["studentId"]
                && candidate["openingId"] == assignment["openingId"]
                && candidate["score"] == assignment["score"]
        });
        assert!(seen, "assignment {assignment} is not among the candidates");
    }
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let scratch = Scratch::new("bad");
    let mut instance = read_json(&example());
    instance["students"][3]["availability"][0] = json!({"day": "TUE", "start": "15:00", "end": "14:00"});
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("rule", serde_json::to_vec(&instance).unwrap()),
        ("garbage", b"\x00\xffnot json at all".to_vec()),
        ("truncated", br#"{"asOf": "2026-09-14", "students": [{"id": "#.to_vec()),
        ("wrong type", br#"{"asOf": 20260914}"#.to_vec()),
        ("unknown field", br#"{"asOf": "2026-09-14", "student": []}"#.to_vec()),
        ("trailing", br#"{"asOf": "2026-09-14"} {}"#.to_vec()),
    ];
    for (name, bytes) in cases {
        let input = scratch.path("instance.json");
        std::fs::write(&input, bytes).unwrap();
        let output = scratch.path("result.json");
        let status = partnermatch(&[
            "match",
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ]);
        assert_eq!(status, ExitCode::from(2), "{name}");
        assert!(!output.exists(), "{name}: an output file was written");
        assert_eq!(std::fs::read_dir(&scratch.0).unwrap().count(), 1, "{name}: a stray file was left");
    }
}

#[test]
fn a_missing_input_file_is_a_usage_error() {
    let scratch = Scratch::new("missing");
    let input = scratch.path("nope.json");
    assert_eq!(partnermatch(&["match", "--input", input.to_str().unwrap()]), ExitCode::from(2));
    assert_eq!(partnermatch(&["match"]), ExitCode::from(2));
    assert_eq!(partnermatch(&["frobnicate"]), ExitCode::from(2));
}

#[test]
fn an_unwritable_output_fails_without_a_partial_file() {
    let scratch = Scratch::new("unwritable");
    let output = scratch.path("no-such-dir/result.json");
    let input = example();
    let status =
        partnermatch(&["match", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()]);
    assert_eq!(status, ExitCode::from(1));
    assert!(!output.exists());
}

/// `--output` on a pipe or a device writes into it: a rename over it would have
/// replaced it with a file (run as root, `--output /dev/null` replaced /dev/null).
#[test]
fn an_output_that_is_a_pipe_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let scratch = Scratch::new("fifo");
    let fifo = scratch.path("result.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success());
    // Opening a FIFO for reading waits for a writer: read on a thread of its own.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let input = example();
    let status =
        partnermatch(&["match", "--input", input.to_str().unwrap(), "--output", fifo.to_str().unwrap()]);
    assert_eq!(status, ExitCode::SUCCESS);
    // Before the join: a replaced FIFO never sees a writer, and its reader waits on.
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    let result: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert!(result["assignments"].as_array().is_some_and(|a| !a.is_empty()), "{result}");
    assert!(!scratch.path("result.fifo.partial").exists());
}

/// `--output` on a symbolic link writes the file it points to, and the link stays.
#[test]
fn an_output_that_is_a_link_writes_its_target() {
    let scratch = Scratch::new("link");
    let target = scratch.path("target.json");
    std::fs::write(&target, b"old").unwrap();
    let link = scratch.path("result.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let input = example();
    let status =
        partnermatch(&["match", "--input", input.to_str().unwrap(), "--output", link.to_str().unwrap()]);
    assert_eq!(status, ExitCode::SUCCESS);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert!(read_json(&target)["assignments"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn gen_is_deterministic_and_its_instances_match() {
    let scratch = Scratch::new("gen");
    let first = scratch.path("a.json");
    let second = scratch.path("b.json");
    for (path, seed) in [(&first, "5"), (&second, "5")] {
        let args = ["gen", "--students", "300", "--seed", seed, "--shape", "clustered", "--output"];
        let status = partnermatch(&args.iter().copied().chain([path.to_str().unwrap()]).collect::<Vec<_>>());
        assert_eq!(status, ExitCode::SUCCESS);
    }
    assert_eq!(std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap());
    let instance = read_json(&first);
    assert_eq!(instance["students"].as_array().unwrap().len(), 300);
    assert_eq!(instance["openings"].as_array().unwrap().len(), 100);

    let output = scratch.path("result.json");
    let status =
        partnermatch(&["match", "--input", first.to_str().unwrap(), "--output", output.to_str().unwrap()]);
    assert_eq!(status, ExitCode::SUCCESS);
    let mut result = read_json(&output);
    assert!(result["stats"]["matched"].as_u64().unwrap() > 0);

    // Same input, same output (timings aside).
    let again = scratch.path("again.json");
    let status =
        partnermatch(&["match", "--input", first.to_str().unwrap(), "--output", again.to_str().unwrap()]);
    assert_eq!(status, ExitCode::SUCCESS);
    let mut repeated = read_json(&again);
    result["stats"]["seconds"] = Value::Null;
    repeated["stats"]["seconds"] = Value::Null;
    assert_eq!(result, repeated);
}

/// The dense shapes: a compact city with wide reach, which `match` takes, where a
/// need has several times the candidates of the default shape's.
#[test]
fn gen_makes_dense_cities_that_match() {
    let scratch = Scratch::new("gen-dense");
    let candidates_per_need = |shape: &str| {
        let path = scratch.path(&format!("{shape}.json"));
        let args = [
            "gen",
            "--students",
            "3000",
            "--seed",
            "3",
            "--shape",
            shape,
            "--output",
            path.to_str().unwrap(),
        ];
        assert_eq!(partnermatch(&args), ExitCode::SUCCESS, "{shape}");
        let output = scratch.path(&format!("{shape}-result.json"));
        let args = ["match", "--input", path.to_str().unwrap(), "--output", output.to_str().unwrap()];
        assert_eq!(partnermatch(&args), ExitCode::SUCCESS, "{shape}");
        let stats = &read_json(&output)["stats"];
        assert!(stats["matched"].as_u64().unwrap() > 0, "{shape}");
        stats["candidates"].as_f64().unwrap() / stats["needs"].as_f64().unwrap()
    };
    let uniform = candidates_per_need("uniform");
    for shape in ["dense", "dense-clustered"] {
        let dense = candidates_per_need(shape);
        assert!(dense > 2.0 * uniform, "{shape}: {dense:.1} candidates per need against {uniform:.1}");
    }
    let args = ["gen", "--students", "10", "--shape", "downtown"];
    assert_eq!(partnermatch(&args), ExitCode::from(2));
}

/// `serve` refuses to start without a usable key, before it opens anything.
#[test]
fn serve_refuses_to_start_without_a_usable_key() {
    let scratch = Scratch::new("serve-keys");
    let dir = scratch.path("data");
    let dir = dir.to_str().unwrap();
    for args in [
        vec!["serve", "--data-dir", dir, "--jwt-secret", "too short"],
        vec!["serve", "--data-dir", dir, "--jwt-algorithm", "rs256"],
        vec!["serve", "--data-dir", dir, "--jwt-algorithm", "es256", "--jwt-public-key", "/nonexistent.pem"],
    ] {
        assert_eq!(partnermatch(&args), ExitCode::from(2), "{args:?}");
    }
    assert!(!Path::new(dir).join("partnermatch.sqlite3").exists(), "nothing opened");
}

/// `seed --instance` loads a generated district: as many students, openings and
/// partners as the file holds, read back by the district's scope as the file has
/// them (homes coarsened and windows merged, as the store keeps them). A second
/// seed is refused, and so is a seed naming no source or two.
#[test]
fn seed_instance_loads_a_generated_district() {
    use chrono::NaiveDate;
    use matcher::RawInstance;
    use sea_orm::{EntityTrait, PaginatorTrait};
    use store::entity::{openings, partners, schools, students};
    use store::scope::{Scope, load_scope};
    use store::write::{coarse, stored_window, window_rows};
    use store::{Location, Store};

    let merged = |windows: &[matcher::validate::RawWindow]| {
        let parsed: Vec<_> = windows.iter().map(|w| matcher::record::parse_window("w", w).unwrap()).collect();
        window_rows(&parsed)
            .into_iter()
            .map(|(day, start, end)| matcher::record::raw_window(&stored_window(day, start, end).unwrap()))
            .collect()
    };
    let normalised = |mut raw: RawInstance| {
        for student in raw.students.iter_mut().flatten() {
            student.home.lat = coarse(student.home.lat);
            student.home.lon = coarse(student.home.lon);
            student.availability = merged(&student.availability);
            student.travel_modes.iter_mut().for_each(|modes| modes.sort());
            student.needs.sort_by(|a, b| a.kind.cmp(&b.kind));
        }
        raw.students.iter_mut().for_each(|list| list.sort_by(|a, b| a.id.cmp(&b.id)));
        for opening in raw.openings.iter_mut().flatten() {
            opening.schedule = merged(&opening.schedule);
            opening.subjects.sort();
            opening.languages.sort();
        }
        raw.openings.iter_mut().for_each(|list| list.sort_by(|a, b| a.id.cmp(&b.id)));
        (serde_json::to_value(&raw.students).unwrap(), serde_json::to_value(&raw.openings).unwrap())
    };

    let scratch = Scratch::new("seed-instance");
    let instance = scratch.path("district.json");
    let instance = instance.to_str().unwrap();
    let database = format!("sqlite://{}", scratch.path("db.sqlite3").display());
    let status = partnermatch(&["gen", "--students", "300", "--seed", "11", "--output", instance]);
    assert_eq!(status, ExitCode::SUCCESS);
    let seed = ["seed", "--instance", instance, "--schools", "3", "--database-url", &database];
    assert_eq!(partnermatch(&seed), ExitCode::SUCCESS);
    assert_eq!(partnermatch(&seed), ExitCode::from(1), "a second seed is a conflict");
    assert_eq!(partnermatch(&["seed", "--database-url", &database]), ExitCode::from(2));
    let both = ["seed", "--demo", "--instance", instance, "--database-url", &database];
    assert_eq!(partnermatch(&both), ExitCode::from(2));

    let file: RawInstance = serde_json::from_slice(&std::fs::read(instance).unwrap()).unwrap();
    let as_of: NaiveDate = file.as_of.parse().unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(&Location::parse(&database).unwrap()).await.unwrap();
        let db = store.db();
        let held = [
            students::Entity::find().count(db).await.unwrap(),
            openings::Entity::find().count(db).await.unwrap(),
            partners::Entity::find().count(db).await.unwrap(),
            schools::Entity::find().count(db).await.unwrap(),
        ];
        let in_file = [
            file.students.as_ref().unwrap().len(),
            file.openings.as_ref().unwrap().len(),
            file.partners.as_ref().unwrap().len(),
            3,
        ]
        .map(|n| n as u64);
        assert_eq!(held, in_file, "students, openings, partners, schools");

        let loaded = load_scope(db, &Scope::district(), as_of, Default::default()).await.unwrap().to_raw();
        let (loaded_students, loaded_openings) = normalised(loaded);
        let (file_students, file_openings) = normalised(file.clone());
        assert_eq!(loaded_students, file_students);
        assert_eq!(loaded_openings, file_openings);
        store.close().await.unwrap();
    });
}
