"""Special equipment: lifecycle per unit and maintenance/inspection compliance."""
