"use strict";
// Usage: node check-channels.js <file.bim> <job subject id> <model id> <channel key | "shared">
// iTwin.js channel control judges a job itwin-host wrote: the job subject's channel is the key
// (getChannelKey); an app that has not allowed that channel cannot insert into the job's model,
// and can once it allows it. With "shared", the job subject has no channel root and a plain app
// may write. Edits are made in a copy's transaction and abandoned: the file is not changed.
// Prints "ok <check>" / "FAIL <check>: <why>" lines and "<n> checks, <m> failed".
const { StandaloneDb } = require("@itwin/core-backend");
const { Code } = require("@itwin/core-common");
const { run, Checker } = require("./lib");

run(async () => {
  const [file, subject, model, key] = process.argv.slice(2);
  if (!file || !subject || !model || !key) {
    console.error("usage: node check-channels.js <file.bim> <job subject id> <model id> <channel key | shared>");
    return 2;
  }
  const db = StandaloneDb.openFile(file);
  const c = new Checker();
  try {
    await c.check(`channel of the job subject is ${key}`, () => {
      const got = db.channels.getChannelKey(subject);
      if (got !== key) throw new Error(`getChannelKey(${subject}) = ${got}`);
    });
    await c.check(`channel of the job's model is ${key}`, () => {
      const got = db.channels.getChannelKey(model);
      if (got !== key) throw new Error(`getChannelKey(${model}) = ${got}`);
    });
    let category;
    for await (const row of db.createQueryReader("SELECT ECInstanceId FROM bis.SpatialCategory LIMIT 1")) category = row[0];
    const insert = () =>
      db.elements.insertElement({ classFullName: "Generic:PhysicalObject", model, category, code: Code.createEmpty() });
    const passesChannelControl = () => {
      try {
        insert();
      } catch (err) {
        if (/not allowed/i.test(String(err && err.message))) throw err;
        return "past channel control (then: " + err.message + ")";
      }
      return "inserted";
    };
    if (key === "shared") {
      await c.check("a plain app passes channel control in the job's model", passesChannelControl);
    } else {
      await c.check("an app that did not allow the channel is refused", () => {
        try {
          insert();
        } catch (err) {
          if (!/not allowed/i.test(String(err && err.message))) throw new Error(`refused for another reason: ${err.message}`);
          return "refused: " + err.message;
        }
        throw new Error("the insert was allowed");
      });
      await c.check("after addAllowedChannel the app passes channel control", () => {
        db.channels.addAllowedChannel(key);
        return passesChannelControl();
      });
    }
  } finally {
    db.abandonChanges();
    db.close();
  }
  return c.summary();
});
