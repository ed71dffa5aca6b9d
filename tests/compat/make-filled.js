"use strict";
// Usage: node make-filled.js <out.bim> <expected.json>
// iTwin.js writes a small connector-like iModel and describes it in the
// expected.json contract, so check-briefcase.js can be validated against
// iTwin.js's own output and the Rust side can read/extend a file it did not write.
const fs = require("fs");
const {
  StandaloneDb, Subject, LinkElement, PhysicalPartition, DefinitionPartition, SpatialCategory,
} = require("@itwin/core-backend");
const { Guid } = require("@itwin/core-bentley");
const { CodeScopeSpec, IModel } = require("@itwin/core-common");
const { run } = require("./lib");

run(() => {
  const [out, expectedFile] = process.argv.slice(2);
  if (!out || !expectedFile) {
    console.error("usage: node make-filled.js <out.bim> <expected.json>");
    return 2;
  }
  fs.rmSync(out, { force: true });
  // No allowEdit/enableTransactions: in 5.7.3 any truthy allowEdit string
  // (even '{"txns":false}') turns on txn recording, which our writer does not maintain.
  const db = StandaloneDb.createEmpty(out, { rootSubject: { name: "filled by iTwin.js" } });

  const elements = [];
  const insert = (props) => {
    const given = JSON.parse(JSON.stringify(props)); // insertElement writes the new id into props
    const id = db.elements.insertElement(props);
    elements.push({ id, props: given });
    return id;
  };
  const insertModel = (classFullName, modeledElement) =>
    db.models.insertModel({ classFullName, modeledElement: { id: modeledElement }, isPrivate: false });

  const jobSubject = insert({
    classFullName: "BisCore:Subject",
    model: IModel.repositoryModelId,
    parent: { id: IModel.rootSubjectId, relClassName: "BisCore:SubjectOwnsSubjects" },
    code: Subject.createCode(db, IModel.rootSubjectId, "Filled Job").toJSON(),
    description: "job subject written by make-filled.js",
    jsonProperties: { Subject: { Job: { Bridge: "itwin-host-compat" } } },
  });
  const repositoryLink = insert({
    classFullName: "BisCore:RepositoryLink",
    model: IModel.repositoryModelId,
    code: LinkElement.createCode(db, IModel.repositoryModelId, "filled-source.json").toJSON(),
    url: "file:///data/filled-source.json",
    userLabel: "filled-source.json",
    description: "the source file of the filled job",
  });
  const externalSource = insert({
    classFullName: "BisCore:ExternalSource",
    model: IModel.repositoryModelId,
    code: { spec: "0x1", scope: "0x1", value: "" },
    userLabel: "filled-source.json",
    repository: { id: repositoryLink, relClassName: "BisCore:ExternalSourceIsInRepository" },
    connectorName: "itwin-host-compat",
    connectorVersion: "1.0.0",
  });
  const physicalPartition = insert({
    classFullName: "BisCore:PhysicalPartition",
    model: IModel.repositoryModelId,
    parent: { id: jobSubject, relClassName: "BisCore:SubjectOwnsPartitionElements" },
    code: PhysicalPartition.createCode(db, jobSubject, "Filled Physical").toJSON(),
  });
  const physicalModel = insertModel("BisCore:PhysicalModel", physicalPartition);
  const definitionPartition = insert({
    classFullName: "BisCore:DefinitionPartition",
    model: IModel.repositoryModelId,
    parent: { id: jobSubject, relClassName: "BisCore:SubjectOwnsPartitionElements" },
    code: DefinitionPartition.createCode(db, jobSubject, "Filled Definitions").toJSON(),
  });
  const definitionModel = insertModel("BisCore:DefinitionModel", definitionPartition);
  // Inserting the category makes the native layer add its default SubCategory.
  const category = insert({
    classFullName: "BisCore:SpatialCategory",
    model: definitionModel,
    code: SpatialCategory.createCode(db, definitionModel, "Filled Category").toJSON(),
    rank: 2, // Rank.Application
  });
  const codeSpec = db.codeSpecs.insert("Filled:Tag", CodeScopeSpec.Type.Model);

  const objects = [];
  for (let i = 1; i <= 3; i++) {
    objects.push(insert({
      classFullName: "Generic:PhysicalObject",
      model: physicalModel,
      category,
      code: { spec: codeSpec, scope: physicalModel, value: `TAG-${i}` },
      userLabel: `object ${i}`,
      federationGuid: Guid.createValue(),
      placement: { origin: [10 * i, 2.5 * i, 0.125], angles: { yaw: 30 * i } },
      jsonProperties: { UserProps: { n: i } },
      ...(i === 3 ? { parent: { id: objects[1], relClassName: "BisCore:PhysicalElementAssemblesElements" } } : {}),
    }));
  }

  const aspects = objects.map((elementId, i) => {
    const props = {
      classFullName: "BisCore:ExternalSourceAspect",
      element: { id: elementId, relClassName: "BisCore:ElementOwnsExternalSourceAspects" },
      scope: { id: externalSource, relClassName: "BisCore:ElementScopesExternalSourceIdentifier" },
      source: { id: externalSource, relClassName: "BisCore:ElementIsFromSource" },
      kind: "Element",
      identifier: `filled-${i + 1}`,
      version: "1",
      checksum: `sum-${i + 1}`,
    };
    db.elements.insertAspect(props);
    return { elementId, scope: externalSource, kind: props.kind, identifier: props.identifier, version: props.version, checksum: props.checksum };
  });

  db.relationships.insertInstance({ classFullName: "BisCore:ElementHasLinks", sourceId: physicalPartition, targetId: repositoryLink });
  db.saveChanges();

  // Read back what iTwin.js itself chose, so expected.json is exact.
  const subCategory = IModel.getDefaultSubCategoryId(category);
  const duplicate = elements.find((e) => e.id === objects[0]).props;
  db.close();

  const expected = {
    ids: {
      jobSubject, repositoryLink, externalSource, physicalPartition, physicalModel,
      definitionPartition, definitionModel, category, subCategory, codeSpec, objects,
    },
    counts: {
      "BisCore.Subject": 2,
      "BisCore.RepositoryLink": 1,
      "BisCore.ExternalSource": 1,
      "BisCore.PhysicalPartition": 1,
      "BisCore.DefinitionPartition": 2, // the dictionary's partition (0x10) plus ours
      "BisCore.PhysicalModel": 1,
      "BisCore.DefinitionModel": 3, // polymorphic: RepositoryModel, DictionaryModel, ours
      "Generic.PhysicalObject": 3,
      "BisCore.SpatialCategory": 1,
      "BisCore.SubCategory": 1,
      "BisCore.ExternalSourceAspect": 3,
      "BisCore.ElementHasLinks": 1,
    },
    elements,
    models: [
      { id: physicalModel, classFullName: "BisCore:PhysicalModel", modeledElement: physicalPartition },
      { id: definitionModel, classFullName: "BisCore:DefinitionModel", modeledElement: definitionPartition },
    ],
    aspects,
    relationships: [
      { classFullName: "BisCore.ElementHasLinks", sourceId: physicalPartition, targetId: repositoryLink },
      { classFullName: "BisCore.PhysicalElementAssemblesElements", sourceId: objects[1], targetId: objects[2] },
    ],
    queries: {
      identifier: "filled-1",
      identifierElementIds: [objects[0]],
      repositoryLinks: [{ userLabel: "filled-source.json", url: "file:///data/filled-source.json" }],
      physicalPartitions: [{ id: physicalPartition, codeValue: "Filled Physical" }],
    },
    edit: {
      physicalModel, category, definitionModel,
      scope: externalSource, source: externalSource,
      updateElement: objects[0],
      deleteElement: objects[2],
    },
    duplicateCode: { ...duplicate, federationGuid: undefined, userLabel: "duplicate of TAG-1" },
  };
  fs.writeFileSync(expectedFile, `${JSON.stringify(expected, null, 2)}\n`);
  return 0;
});
