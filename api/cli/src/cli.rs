//! The `partnermatch` command: `match` runs the engine on an instance file, `gen`
//! writes a generated one, `seed --demo` loads the demo district into the database
//! (`seed --instance FILE` a generated one), `import` reads a CSV file into it,
//! `token` prints a development token.

use std::ffi::OsString;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use matcher::generate::{Shape, Spec, generate};
use matcher::model::Kind;
use matcher::{Observer, Options, Phase, Seconds};

use chrono::Utc;

use crate::config::DatabaseArgs;
use crate::demo;
use crate::error::Error;
use crate::seed;
use store::import::{self, Table};

/// School–community matching: optimal, explained.
#[derive(Debug, Parser)]
#[command(name = "partnermatch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Match an instance file (docs/matching.md) and print or write the result.
    Match {
        /// The instance JSON.
        #[arg(long)]
        input: PathBuf,
        /// Where to write the result JSON (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Include every candidate pair with its score.
        #[arg(long)]
        candidates: bool,
    },
    /// Generate a realistic random city instance.
    Gen {
        /// Number of students; openings are a third of that.
        #[arg(long)]
        students: usize,
        /// Random seed: the same seed gives the same instance.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where students live; the dense shapes are a big city's regime (hundreds of
        /// feasible openings per need).
        #[arg(long, value_enum, default_value_t = ShapeArg::Uniform)]
        shape: ShapeArg,
        /// Where to write the instance (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Load the demo district, or a district from an instance file, into the database
    /// (refused if it holds a district).
    #[command(group(ArgGroup::new("source").required(true).args(["demo", "instance"])))]
    Seed {
        /// The deterministic demo district.
        #[arg(long)]
        demo: bool,
        /// A district from an instance file (docs/matching.md, as `gen` writes): its partners
        /// (active, district-wide agreements), openings and students, with made-up
        /// names and schools. Its `existingMatches` and `declined` are left out.
        #[arg(long, value_name = "FILE")]
        instance: Option<PathBuf>,
        /// Schools to spread the instance's students over, round-robin (default: one
        /// per 2,500 students, at least one).
        #[arg(long, conflicts_with = "demo", value_parser = clap::value_parser!(u32).range(1..))]
        schools: Option<u32>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Import a CSV file of districts, schools, partners, agreements, openings or
    /// students: all rows or none (set a district up in that order).
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        table: TableArg,
        /// The CSV file (UTF-8, header row; columns in README "CSV import").
        file: PathBuf,
        /// The school of every student row (a `schoolId` column, when present, must agree).
        #[arg(long)]
        school: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Serve the GraphQL API (POST /graphql, GraphiQL at GET /graphql, GET /healthz).
    Serve {
        /// Where to listen.
        #[arg(long, env = "PARTNERMATCH_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Origins whose web pages may call the API, comma-separated
        /// (`https://portal.example.org,http://localhost:3000`); none by default.
        #[arg(long = "cors-origins", env = "PARTNERMATCH_CORS_ORIGINS", value_delimiter = ',')]
        cors_origins: Vec<String>,
        /// Any non-empty value lets webhooks point at loopback, private and
        /// link-local addresses (refused otherwise: SSRF).
        #[arg(long = "webhook-allow-private", env = "PARTNERMATCH_WEBHOOK_ALLOW_PRIVATE")]
        webhook_allow_private: Option<String>,
        /// Where mail about matches goes (`smtp://host:port`, with `user:password@`
        /// when the server asks); unset or empty: no mail is sent.
        #[arg(long = "smtp-url", env = "PARTNERMATCH_SMTP_URL")]
        smtp_url: Option<String>,
        /// A PEM file of certificate authorities to trust for https webhooks besides
        /// Mozilla's roots (a district's own CA).
        #[arg(long = "webhook-ca-file", env = "PARTNERMATCH_WEBHOOK_CA_FILE")]
        webhook_ca_file: Option<std::path::PathBuf>,
        /// Who mail comes from.
        #[arg(
            long = "mail-from",
            env = "PARTNERMATCH_MAIL_FROM",
            default_value = "partnermatch <no-reply@localhost>"
        )]
        mail_from: String,
        /// Seed the demo district into an empty database, sign with the development
        /// secret, and open introspection and suggestions to every caller.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        jwt: crate::config::JwtArgs,
        /// How tokens are signed: HS256 with the shared secret, or RS256 / ES256
        /// checked with the public key in `--jwt-public-key`.
        #[arg(
            long = "jwt-algorithm",
            env = "PARTNERMATCH_JWT_ALGORITHM",
            value_enum,
            default_value = "hs256"
        )]
        algorithm: AlgorithmArg,
        /// The PEM public key for RS256 / ES256.
        #[arg(long = "jwt-public-key", env = "PARTNERMATCH_JWT_PUBLIC_KEY")]
        public_key: Option<PathBuf>,
        /// Seconds a match run's lease lasts unless its node renews it: how soon a
        /// run whose node died is failed and its scope free again.
        #[arg(
            long = "run-lease-seconds",
            env = "PARTNERMATCH_RUN_LEASE_SECONDS",
            default_value_t = 30,
            value_parser = clap::value_parser!(u64).range(2..=3600)
        )]
        run_lease_seconds: u64,
    },
    /// Print the GraphQL schema (SDL), as `schema.graphql` holds it.
    Schema,
    /// Print a development token (HS256) that `serve` with the same settings accepts.
    Token {
        /// ADMIN, COUNSELOR, PARTNER or STUDENT, in any case.
        #[arg(long, value_parser = service::auth::parse_role)]
        role: store::records::Role,
        /// The school id (COUNSELOR), partner id (PARTNER) or student id (STUDENT);
        /// none for ADMIN.
        #[arg(long)]
        scope: Option<String>,
        /// How long the token is valid: 90s, 30m, 1h, 7d (at most 30d).
        #[arg(long, default_value = "1h", value_parser = service::auth::parse_ttl)]
        ttl: Duration,
        #[command(flatten)]
        jwt: crate::config::JwtArgs,
        /// Where the development secret is kept (created on first use) when no
        /// secret is given.
        #[arg(long = "data-dir", env = "PARTNERMATCH_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum AlgorithmArg {
    Hs256,
    Rs256,
    Es256,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TableArg {
    Districts,
    Schools,
    Partners,
    Agreements,
    Openings,
    Students,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShapeArg {
    Uniform,
    Clustered,
    Dense,
    DenseClustered,
}

/// Runs the command line; errors go to standard error with the exit status of
/// [`Error::exit_code`].
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("partnermatch: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Match { input, output, candidates } => run_match(&input, output.as_deref(), candidates),
        Command::Gen { students, seed, shape, output } => {
            let shape = match shape {
                ShapeArg::Uniform => Shape::Uniform,
                ShapeArg::Clustered => Shape::Clustered,
                ShapeArg::Dense => Shape::Dense,
                ShapeArg::DenseClustered => Shape::DenseClustered,
            };
            let instance = generate(Spec { students, seed, shape });
            write_json(output.as_deref(), &instance)
        }
        Command::Seed { instance: Some(path), schools, database, .. } => {
            run_seed_instance(&path, schools, &database)
        }
        Command::Seed { database, .. } => block_on(async {
            let store = database.open().await?;
            let seeded = demo::seed(&store, Utc::now()).await?;
            println!(
                "seeded the demo district: {} schools, {} partners, {} openings, {} students, {} matches, {} feedback",
                seeded.schools,
                seeded.partners,
                seeded.openings,
                seeded.students,
                seeded.matches,
                seeded.feedback
            );
            store.close().await?;
            Ok(())
        }),
        Command::Import { table, file, school, database } => {
            let bytes = std::fs::read(&file).map_err(|source| Error::Read { path: file.clone(), source })?;
            let table = match table {
                TableArg::Districts => Table::Districts,
                TableArg::Schools => Table::Schools,
                TableArg::Partners => Table::Partners,
                TableArg::Agreements => Table::Agreements,
                TableArg::Openings => Table::Openings,
                TableArg::Students => Table::Students,
            };
            block_on(async {
                let store = database.open().await?;
                let imported = import::import_csv(
                    store.db(),
                    table,
                    &bytes,
                    school.as_deref(),
                    "cli",
                    (Utc::now(), store.today(Utc::now())),
                )
                .await?;
                println!(
                    "imported {}: {} created, {} updated",
                    file.display(),
                    imported.created,
                    imported.updated
                );
                store.close().await?;
                Ok(())
            })
        }
        Command::Serve {
            bind,
            cors_origins,
            webhook_allow_private,
            smtp_url,
            webhook_ca_file,
            mail_from,
            demo,
            database,
            jwt,
            algorithm,
            public_key,
            run_lease_seconds,
        } => {
            let key = key_source(algorithm, public_key, demo, &database, &jwt)?;
            let lease = Duration::from_secs(run_lease_seconds);
            let cors = service::cors::AllowedOrigins::parse(&cors_origins).map_err(Error::Config)?;
            let mailer = match smtp_url.as_deref().map(str::trim).filter(|url| !url.is_empty()) {
                Some(url) => Some(service::mail::Mailer::new(url, &mail_from).map_err(Error::Config)?),
                None => None,
            };
            let extra_roots = match webhook_ca_file.filter(|path| !path.as_os_str().is_empty()) {
                Some(path) => service::notify::read_roots(&path).map_err(Error::Config)?,
                None => Vec::new(),
            };
            let hooks = service::notify::HookSettings {
                allow_private: webhook_allow_private.is_some_and(|value| !value.is_empty()),
                mailer,
                extra_roots,
                ..Default::default()
            };
            block_on(serve(
                Listen { bind, cors, hooks },
                demo,
                database,
                jwt.issuer,
                jwt.audience,
                key,
                lease,
            ))
        }
        Command::Schema => {
            print!("{}", service::graphql::sdl());
            Ok(())
        }
        Command::Token { role, scope, ttl, jwt, data_dir } => {
            run_token(role, scope.as_deref(), ttl, &jwt, &data_dir)
        }
    }
}

/// `seed --instance`: the file is read and checked before the database is opened, so
/// a bad file touches nothing.
fn run_seed_instance(path: &Path, schools: Option<u32>, database: &DatabaseArgs) -> Result<(), Error> {
    let raw = seed::read(path)?;
    let generated = seed::district(raw, schools.map(|n| n as usize));
    block_on(async {
        let store = database.open().await?;
        let seeded = seed::seed(&store, &generated, Utc::now()).await?;
        println!(
            "seeded {}: 1 district, {} schools, {} partners, {} agreements, {} openings, {} students",
            path.display(),
            seeded.schools,
            seeded.partners,
            seeded.agreements,
            seeded.openings,
            seeded.students
        );
        store.close().await?;
        Ok(())
    })
}

/// Prints a development token. The scope is checked before the data directory is
/// touched, so a mistyped command creates no secret.
fn run_token(
    role: store::records::Role,
    scope: Option<&str>,
    ttl: Duration,
    jwt: &crate::config::JwtArgs,
    data_dir: &Path,
) -> Result<(), Error> {
    use service::auth::{AuthError, Minter, check_scope};
    let config_error = |err: &dyn std::fmt::Display| Error::Config(err.to_string());
    check_scope(role, scope).map_err(|err| config_error(&err))?;
    let key_error = |err: AuthError| match err {
        AuthError::Read { path, source } => Error::Read { path, source },
        AuthError::Write { path, source } => Error::Write { path, source },
        other => config_error(&other),
    };
    let secret = jwt.secret_or_dev(data_dir).map_err(key_error)?;
    let minter = Minter::new(jwt.issuer.as_str(), jwt.audience.as_str(), &secret).map_err(key_error)?;
    let token = minter.mint(role, scope, ttl, Utc::now()).map_err(|err| match err {
        AuthError::Sign(message) => Error::Internal(message),
        other => config_error(&other),
    })?;
    println!("{token}");
    Ok(())
}

/// Where `serve` listens and whom it answers across origins.
struct Listen {
    bind: String,
    cors: service::cors::AllowedOrigins,
    hooks: service::notify::HookSettings,
}

/// `serve`: opens (and under `--demo` seeds) the database, then serves until
/// SIGINT or SIGTERM.
async fn serve(
    Listen { bind, cors, hooks }: Listen,
    demo: bool,
    database: DatabaseArgs,
    issuer: String,
    audience: String,
    key: service::auth::KeySource,
    run_lease: Duration,
) -> Result<(), Error> {
    use service::auth::{AuthConfig, Verifier};
    let verifier =
        Verifier::new(AuthConfig { issuer: issuer.clone(), audience: audience.clone(), key: key.clone() })
            .map_err(|err| Error::Config(err.to_string()))?;
    // Logging starts once the configuration is known to be usable.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let store = database.open().await?;
    if demo {
        match demo::seed(&store, Utc::now()).await {
            Ok(seeded) => tracing::info!(
                students = seeded.students,
                openings = seeded.openings,
                "seeded the demo district"
            ),
            Err(store::StoreError::Conflict(store::Conflict::NotEmpty { .. })) => {
                // The demo's own district from an earlier start is fine; a real one is
                // not: --demo opens introspection and signs with a development secret.
                let districts = store::people::list_districts(store.db()).await?;
                if let Some(other) = districts.iter().find(|district| district.id != demo::DISTRICT_ID) {
                    return Err(Error::Config(format!(
                        "this database holds the district {} ({}): --demo seeds only an empty database \
                         (or serves its own demo district); serve it without --demo",
                        other.id, other.name
                    )));
                }
                tracing::info!("the database already holds the demo district")
            }
            Err(err) => return Err(err.into()),
        }
    }
    let demo_sign_in = match (&key, demo) {
        (service::auth::KeySource::Hs256(secret), true) => Some(service::console::DemoSignIn {
            minter: service::auth::Minter::new(&issuer, &audience, secret)
                .map_err(|err| Error::Config(err.to_string()))?,
            people: demo::people(),
        }),
        _ => None,
    };
    let service = service::server::Service { store, verifier, demo, demo_sign_in, run_lease, cors, hooks };
    let running = service::server::start(service, &bind)
        .await
        .map_err(|err| Error::Config(format!("cannot listen on {bind}: {err}")))?;
    println!("partnermatch serves http://{}/graphql", running.addr);
    if demo {
        println!("get a token: partnermatch token --role ADMIN   (or --role COUNSELOR --scope sch-1)");
    }
    running
        .done
        .await
        .map_err(|err| Error::Internal(err.to_string()))?
        .map_err(|err| Error::Internal(err.to_string()))
}

/// The key `serve` checks tokens with: the shared secret (required unless `--demo`,
/// which uses the development secret), or a public key file for RS256 / ES256.
fn key_source(
    algorithm: AlgorithmArg,
    public_key: Option<PathBuf>,
    demo: bool,
    database: &DatabaseArgs,
    jwt: &crate::config::JwtArgs,
) -> Result<service::auth::KeySource, Error> {
    use service::auth::{KeySource, PemSource};
    let pem = |what: &str| {
        public_key.clone().map(PemSource::File).ok_or_else(|| {
            Error::Config(format!("{what} needs PARTNERMATCH_JWT_PUBLIC_KEY (or --jwt-public-key)"))
        })
    };
    match algorithm {
        AlgorithmArg::Rs256 => Ok(KeySource::Rs256PublicPem(pem("RS256")?)),
        AlgorithmArg::Es256 => Ok(KeySource::Es256PublicPem(pem("ES256")?)),
        AlgorithmArg::Hs256 if jwt.secret.is_none() && !demo => Err(Error::Config(
            "PARTNERMATCH_JWT_SECRET (or --jwt-secret) is required unless --demo".to_owned(),
        )),
        AlgorithmArg::Hs256 => Ok(KeySource::Hs256(
            jwt.secret_or_dev(&database.data_dir).map_err(|err| Error::Config(err.to_string()))?,
        )),
    }
}

/// Runs one async subcommand to completion on a runtime of its own.
fn block_on(work: impl std::future::Future<Output = Result<(), Error>>) -> Result<(), Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the runtime: {err}")))?
        .block_on(work)
}

fn run_match(input: &Path, output: Option<&Path>, with_candidates: bool) -> Result<(), Error> {
    let started = Instant::now();
    let file = File::open(input).map_err(|source| Error::Read { path: input.to_owned(), source })?;
    let instance = matcher::read_instance(file)?;
    let read = started.elapsed();
    let mut timer =
        PhaseTimer { progress: Progress::for_students(instance.students().len()), ..PhaseTimer::default() };
    let outcome = matcher::run(&instance, Options { keep_candidates: with_candidates }, &mut timer)?;
    let seconds = Seconds {
        read: read.as_secs_f64(),
        candidates: timer.candidates.as_secs_f64(),
        solve: timer.solve.as_secs_f64(),
        total: started.elapsed().as_secs_f64(),
    };
    let document = matcher::result_document(&instance, &outcome, with_candidates, seconds);
    write_json(output, &document)
}

/// Adds up the time of each phase over the kinds, and shows progress.
#[derive(Default)]
struct PhaseTimer {
    since: Option<Instant>,
    candidates: Duration,
    solve: Duration,
    progress: Progress,
}

impl Observer for PhaseTimer {
    fn started(&mut self, phase: Phase, kind: Kind, needs: usize) {
        self.progress.start(phase, kind, needs);
        self.since = Some(Instant::now());
    }

    fn finished(&mut self, phase: Phase, _kind: Kind) {
        let elapsed = self.since.take().map(|since| since.elapsed()).unwrap_or_default();
        match phase {
            Phase::Candidates => self.candidates += elapsed,
            Phase::Solve => self.solve += elapsed,
        }
        self.progress.step();
    }
}

/// A progress bar on standard error over the six steps (two phases per kind),
/// only when a person is watching a run long enough to wonder.
#[derive(Default)]
struct Progress(Option<ProgressBar>);

/// Below this many students a run takes about a second: no bar.
const PROGRESS_MIN_STUDENTS: usize = 50_000;

impl Progress {
    fn for_students(students: usize) -> Progress {
        if students < PROGRESS_MIN_STUDENTS || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(2 * Kind::MATCH_ORDER.len() as u64);
        let style = ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress(Some(bar))
    }

    fn start(&self, phase: Phase, kind: Kind, needs: usize) {
        if let Some(bar) = &self.0 {
            let phase = match phase {
                Phase::Candidates => "candidates",
                Phase::Solve => "solve",
            };
            bar.set_message(format!("{kind}: {phase} for {needs} needs"));
        }
    }

    fn step(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if bar.position() == bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        }
    }
}

/// Writes JSON to `path` through a temporary file renamed into place, so a
/// failure leaves nothing half-written; to standard output without a path. A path
/// that is a device or a pipe (`--output /dev/null`, a FIFO) is written in place, as
/// renaming a file over it would replace it; a symbolic link is followed, so it stays.
fn write_json(path: Option<&Path>, value: &impl serde::Serialize) -> Result<(), Error> {
    fn stream(writer: impl Write, value: &impl serde::Serialize) -> std::io::Result<()> {
        let mut writer = std::io::BufWriter::new(writer);
        serde_json::to_writer(&mut writer, value).map_err(std::io::Error::other)?;
        writer.write_all(b"\n")?;
        writer.flush()
    }
    let Some(path) = path else {
        let written = stream(std::io::stdout().lock(), value);
        return written.map_err(|source| Error::Write { path: PathBuf::from("<stdout>"), source });
    };
    let io_error = |source| Error::Write { path: path.to_owned(), source };
    let target = match std::fs::metadata(path) {
        Ok(found) if !found.is_file() && !found.is_dir() => {
            return File::create(path).and_then(|file| stream(file, value)).map_err(io_error);
        }
        // Where the link points, when `path` is one (and an error on a directory).
        Ok(_) => std::fs::canonicalize(path).map_err(io_error)?,
        Err(_) => path.to_owned(),
    };
    let mut temporary = target.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    let written = File::create(&temporary).and_then(|file| {
        stream(&file, value)?;
        file.sync_all()
    });
    if let Err(source) = written.and_then(|()| std::fs::rename(&temporary, &target)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(source));
    }
    Ok(())
}
