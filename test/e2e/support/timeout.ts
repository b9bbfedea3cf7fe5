// End-to-end tests wait on a real API server and a real engine: give each test minutes, not seconds.
import { jest } from "@jest/globals";

jest.setTimeout(240_000);
