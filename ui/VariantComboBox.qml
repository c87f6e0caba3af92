import QtQuick
import QtQuick.Controls
import Nibble.App

// A dropdown of every model variant that shows the variant selectedId names.
// It follows that variant by id, not by row: importing a model or making a
// variant moves the rows, and a kept row index would then show another model.
ComboBox {
    id: box
    property var selectedId: 0
    // The user chose the variant at a row (selectedId follows only when the owner sets it).
    signal picked(var variantId)

    function follow() { currentIndex = Variants.indexOf(selectedId) }

    model: Variants
    textRole: "label"
    valueRole: "variantId"
    Component.onCompleted: follow()
    onSelectedIdChanged: follow()
    onActivated: (index) => {
        picked(Variants.variantIdAt(index))
        // When the owner kept its variant (it refused the pick), show that one again.
        follow()
    }
    Connections {
        target: Variants
        // After the view has taken in the new rows, so the index is not reset under us.
        function onCountChanged() { box.follow() }
        function onModelReset() { followLater.restart() }
    }
    // Once the reset has been taken in. Qt.callLater would do, but the QML
    // linter of Qt 6.4 cannot tell that it is a function.
    Timer { id: followLater; interval: 0; onTriggered: box.follow() }
}
