// The kzf extension: starts `kzf lsp` (the language server of the kzf package, installed with
// `pip install kzf`) for .kzf files and lets VS Code's language client speak to it over stdio.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("kzf").get("command", ["kzf", "lsp"]);
  client = new LanguageClient(
    "kzf",
    "kzf language server",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "kzf" }] }
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `kzf: could not start \`${[command, ...args].join(" ")}\` (${error.message}). ` +
        "Install kzf (pip install kzf) or set kzf.command to its path."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
