"""The load and fault suite (issue 9): ``make faults`` runs it all; ``make test`` a fast subset."""
