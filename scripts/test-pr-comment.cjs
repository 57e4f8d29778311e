// Offline test of scripts/pr-comment.cjs with a fake GitHub API: the first run posts one
// comment, the second updates it (never a second comment), a human's comment quoting the
// marker is left alone, and a missing report gives a "could not run" comment.
//   node scripts/test-pr-comment.cjs      (prints "N passed, M failed"; exit 1 on a failure)
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const post = require("./pr-comment.cjs");

let passed = 0, failed = 0;
function check(what, ok) {
  console.log(`${ok ? "ok  " : "FAIL"}  ${what}`);
  if (ok) passed += 1; else failed += 1;
}

function fakeGithub(comments) {
  let next = 100;
  return {
    paginate: async (fn, args) => (await fn(args)).data,
    rest: {
      issues: {
        listComments: async () => ({ data: comments.map((c) => ({ ...c })) }),
        createComment: async ({ body }) => {
          const c = { id: next++, body, user: { login: "github-actions[bot]", type: "Bot" } };
          comments.push(c);
          return { data: c };
        },
        updateComment: async ({ comment_id, body }) => {
          comments.find((c) => c.id === comment_id).body = body;
          return { data: {} };
        },
      },
    },
  };
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mp-pr-comment-"));
  const context = {
    payload: { pull_request: { number: 7, head: { sha: "0123456789abcdef0123" } } },
    repo: { owner: "o", repo: "r" }, serverUrl: "https://github.example", runId: 42,
  };
  const core = { info: () => {}, setFailed: (m) => { throw new Error(m); } };
  const comments = [{ id: 1, body: `I saw ${post.MARKER} somewhere`, user: { login: "student", type: "User" } }];
  const github = fakeGithub(comments);

  fs.writeFileSync(path.join(dir, "summary.md"), `${post.MARKER}\n## Grade: 8 / 20\n| a | b |`);
  fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ score: 8, max_score: 20 }));
  await post({ github, context, core, dir });
  check("the first run posts a comment", comments.length === 2);
  check("the comment has the report", comments[1].body.includes("## Grade: 8 / 20"));
  check("the comment has the marker once", comments[1].body.split(post.MARKER).length === 2);
  check("the comment links to the run", comments[1].body.includes("https://github.example/o/r/actions/runs/42"));
  check("the student's comment is untouched", comments[0].body === `I saw ${post.MARKER} somewhere`);

  fs.writeFileSync(path.join(dir, "summary.md"), "## Grade: 20 / 20");
  await post({ github, context, core, dir });
  check("the second run updates the same comment", comments.length === 2 && comments[1].body.includes("20 / 20"));

  fs.writeFileSync(path.join(dir, "summary.md"), "x".repeat(100000));
  await post({ github, context, core, dir });
  check("a huge report is cut below GitHub's limit", comments[1].body.length < 65536);

  fs.rmSync(path.join(dir, "summary.md"));
  await post({ github, context, core, dir });
  check("no report: the comment says grading could not run", comments[1].body.includes("Grading could not run"));
  fs.rmSync(dir, { recursive: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
