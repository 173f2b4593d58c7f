//! The gate in front of `reveal_secret`: a native dialog, answered by the person, not by the web
//! page. A script running in the webview (an injected one included) can call every command the
//! window may call, so a check in the UI would not stop it; this dialog is drawn by the operating
//! system's toolkit, outside the page, and a token leaves Rust only when the person presses
//! "Show". On Linux "Cancel" is the default (Return, Escape and closing the dialog all refuse);
//! macOS and Windows show the system's standard alert, where Escape and closing refuse.
//!
//! Linux: a modal `GtkMessageDialog` on the main thread, transient for the window
//! (<https://docs.gtk.org/gtk3/class.MessageDialog.html>); "_Show" has the mnemonic Alt+S.
//! macOS and Windows: the official dialog plugin
//! (<https://v2.tauri.app/plugin/dialog/>).

use tauri::{Runtime, WebviewWindow};

/// Whether Reveal asks the person first. The app always asks; only a Rust program embedding the
/// commands (the command tests, with Tauri's mock runtime and no display) may choose otherwise —
/// nothing the webview sends can change it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RevealGate {
    #[default]
    Ask,
    /// For tests of the commands under Tauri's mock runtime.
    ApproveWithoutAsking,
}

/// What the dialog says.
pub struct Question {
    pub title: String,
    pub message: String,
}

/// Shows `question` over `window`; true only when the person pressed "Show".
pub async fn ask<R: Runtime>(window: &WebviewWindow<R>, question: Question) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    show(window, question, move |yes| {
        let _ = tx.send(yes);
    });
    rx.await.unwrap_or(false)
}

#[cfg(target_os = "linux")]
fn show<R: Runtime>(
    window: &WebviewWindow<R>,
    question: Question,
    answer: impl FnOnce(bool) + Send + 'static,
) {
    use gtk::prelude::*;

    let parent = window.clone();
    let shown = window.run_on_main_thread(move || {
        let parent = parent.gtk_window().ok();
        let dialog = gtk::MessageDialog::new(
            parent.as_ref(),
            gtk::DialogFlags::MODAL | gtk::DialogFlags::DESTROY_WITH_PARENT,
            gtk::MessageType::Warning,
            gtk::ButtonsType::None,
            &question.message,
        );
        dialog.set_title(&question.title);
        dialog.add_button("_Cancel", gtk::ResponseType::Cancel);
        dialog.add_button("_Show", gtk::ResponseType::Accept);
        dialog.set_default_response(gtk::ResponseType::Cancel);
        let answer = std::cell::Cell::new(Some(answer));
        dialog.connect_response(move |dialog, response| {
            if let Some(answer) = answer.take() {
                answer(response == gtk::ResponseType::Accept);
            }
            dialog.close();
        });
        dialog.show_all();
    });
    if let Err(e) = shown {
        tracing::warn!(error = %e, "could not show the confirmation dialog");
    }
}

#[cfg(any(target_os = "macos", windows))]
fn show<R: Runtime>(
    window: &WebviewWindow<R>,
    question: Question,
    answer: impl FnOnce(bool) + Send + 'static,
) {
    use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

    window
        .dialog()
        .message(question.message)
        .title(question.title)
        .kind(MessageDialogKind::Warning)
        .parent(window)
        .buttons(MessageDialogButtons::OkCancelCustom(
            "Show".into(),
            "Cancel".into(),
        ))
        .show(answer);
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn show<R: Runtime>(
    _window: &WebviewWindow<R>,
    _question: Question,
    answer: impl FnOnce(bool) + Send + 'static,
) {
    // No native dialog on this platform: never reveal.
    answer(false);
}
