// Posts the grade of a pull request as ONE comment, updated in place on every new push
// (.github/workflows/grade-pr.yml, job `report`, through actions/github-script).
//
//   const post = require('./scripts/pr-comment.cjs');
//   await post({ github, context, core, dir: 'grade' });
//
// Reads DIR/summary.md (the grader's Markdown report, written by scripts/grade-pr.sh) and
// DIR/meta.json; when they are missing (grading crashed or was cut off) the comment says so
// and links to the run. The comment is found again by a hidden marker, among the comments
// the workflow's own account wrote. Testable offline: scripts/test-pr-comment.cjs.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const MARKER = "<!-- mp-course-grade -->";
const LIMIT = 60000; // GitHub rejects comments over 65536 characters

function readOr(file, fallback) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

function body({ dir, runUrl, headSha }) {
  let summary = readOr(path.join(dir, "summary.md"), null);
  let meta = {};
  try {
    meta = JSON.parse(readOr(path.join(dir, "meta.json"), "{}"));
  } catch {
    meta = {};
  }
  const lines = [MARKER];
  if (summary === null) {
    lines.push("## Grading could not run", "",
      `The grading job ended before writing its report: see [the run](${runUrl}).`);
  } else {
    summary = summary.replace(MARKER, "").trim();
    if (summary.length > LIMIT) {
      summary = summary.slice(0, LIMIT) + `\n\n… (cut: the whole report is in [the run's summary](${runUrl}))`;
    }
    lines.push(summary);
  }
  const score = meta.score !== undefined && meta.score !== null ? ` · score ${meta.score} / ${meta.max_score}` : "";
  lines.push("", `<sub>Graded commit ${String(headSha || meta.head_sha || "").slice(0, 12)}${score} · ` +
    `[run, reports and artifacts](${runUrl}) · this comment is updated on every push.</sub>`);
  return lines.join("\n");
}

module.exports = async function post({ github, context, core, dir }) {
  const pr = context.payload.pull_request;
  if (!pr) {
    core.setFailed("pr-comment: not a pull request event");
    return;
  }
  const { owner, repo } = context.repo;
  const runUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const text = body({ dir, runUrl, headSha: pr.head && pr.head.sha });

  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number: pr.number, per_page: 100,
  });
  const mine = comments.find((c) => c.body && c.body.includes(MARKER) &&
    c.user && (c.user.type === "Bot" || c.user.login === "github-actions[bot]"));
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
    core.info(`pr-comment: updated comment ${mine.id} on #${pr.number}`);
  } else {
    const made = await github.rest.issues.createComment({ owner, repo, issue_number: pr.number, body: text });
    core.info(`pr-comment: posted comment ${made.data.id} on #${pr.number}`);
  }
};
module.exports.body = body;
module.exports.MARKER = MARKER;
