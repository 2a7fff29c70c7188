"""How `iku` reaches Prefect: the local server it manages, the deployments it
registers. Importing this package never imports Prefect."""
