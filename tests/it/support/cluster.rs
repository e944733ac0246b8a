//! A PostgreSQL server of the test's own (initdb in a temporary folder, a free port), for the
//! test that restarts the database under load: restarting the shared server would cut every
//! other test's connections. Run as the `postgres` user when the tests run as root (initdb
//! refuses root); stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

/// The newest installed server's programs (Debian's layout).
fn server_programs() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("PostgreSQL's server programs (scripts/bootstrap.sh --postgres installs them)")
}

impl Cluster {
    pub fn start() -> Cluster {
        let bin = server_programs();
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
        if as_postgres {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = cluster.data();
        run(&mut cluster.program(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        ));
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("log").display().to_string();
        run(&mut cluster.program(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
        ));
        cluster
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server as `pg_ctlcluster … restart` does (fast: sessions are ended, then the
    /// server starts again with the same options) and waits until it accepts connections.
    pub fn restart(&self) {
        run(&mut self.program(
            "pg_ctl",
            &["-D", &self.data(), "-m", "fast", "-w", "restart"],
        ));
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn program(&self, name: &str, args: &[&str]) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(Path::new("/"));
        command
    }
}

/// Runs to the end with no pipes: the server that `pg_ctl start` leaves running would hold
/// them open, and reading them would never end.
fn run(command: &mut Command) {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the command starts");
    assert!(status.success(), "{command:?}: {status}");
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .program(
                "pg_ctl",
                &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
