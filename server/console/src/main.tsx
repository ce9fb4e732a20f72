import { render } from "preact";

render(<h1>portal-mdm</h1>, document.getElementById("app")!);
