"""Power BI project (PBIP) generated from the gold contracts.

``model.build_semantic_model`` turns the contracts into a star-schema semantic model (tables,
typed columns, relationships from the foreign keys, the marked date table, DAX measures);
``project.write_project`` writes it as a PBIP folder with a TMDL definition that Power BI
Desktop opens directly. Run it with ``retail-platform powerbi``.
"""
