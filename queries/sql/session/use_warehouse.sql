-- The writer's connection works in the attached warehouse file (warehouse.duck.connect).
USE warehouse
