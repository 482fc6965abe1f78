"""Imported once by the flow's forkserver before it forks the pool's workers.

Every worker then starts with the stages' modules imported and their models
(language detection, word rarities) loaded, shared from the server.
"""

from digest import pipeline

pipeline.warm_up()
