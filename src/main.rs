use clap::Parser;
use feedback_webhooks::serve;
use feedback_webhooks::server::config::{BackupArgs, Config, LogFormat, RotateKeyArgs};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        Some("backup") => {
            write_logs(LogFormat::Text);
            let args = BackupArgs::parse_from(std::env::args().skip(1));
            finish("backup", serve::backup(args).await)
        }
        Some("rotate-key") => {
            write_logs(LogFormat::Text);
            let args = RotateKeyArgs::parse_from(std::env::args().skip(1));
            finish("rotate-key", serve::rotate_key(args).await)
        }
        _ => {}
    }
    let config = Config::parse();
    write_logs(config.log_format);
    let server = match serve::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("feedback-webhooks cannot start: {error}");
            std::process::exit(1);
        }
    };
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await;
}

/// Log lines on standard error, as `RUST_LOG` filters them (default: information and above).
fn write_logs(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        // One JSON object a line, the event's fields at the top level beside its level, time
        // and target.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    log_panics();
}

/// A panic is written as an error line of the log, in its format, rather than as the standard
/// library's several lines of text, which a JSON log's reader cannot parse. It names the
/// thread and the place; the backtrace is a field when `RUST_BACKTRACE` asks for one.
fn log_panics() {
    std::panic::set_hook(Box::new(|panic| {
        let backtrace = std::backtrace::Backtrace::capture();
        let backtrace = (backtrace.status() == std::backtrace::BacktraceStatus::Captured)
            .then(|| backtrace.to_string());
        tracing::error!(
            thread = std::thread::current().name().unwrap_or("unnamed"),
            location = panic.location().map(tracing::field::display),
            backtrace,
            "panicked: {}",
            panic
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)")
        );
    }));
}

/// Ends a one-off command: what it did on stdout, or why it failed on stderr and exit code 1.
fn finish(command: &str, result: Result<String, serve::StartError>) -> ! {
    match result {
        Ok(done) => {
            println!("{done}");
            std::process::exit(0)
        }
        Err(error) => {
            eprintln!("feedback-webhooks {command}: {error}");
            std::process::exit(1)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
